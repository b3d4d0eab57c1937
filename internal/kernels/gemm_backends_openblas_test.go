//go:build openblas

package kernels

func sgemmBackends() []sgemmBackend {
	return []sgemmBackend{{"go", sgemmGo}, {"openblas", sgemmOpenBLAS}}
}
