// Package openblas binds OpenBLAS's cblas_sgemm through cgo for the openblas
// build of package kernels (go build -tags openblas), which needs Debian's
// libopenblas-dev or an equivalent. It lives apart from package kernels
// because Go does not allow Go assembly files in a package that uses cgo.
//
// Without the openblas tag the package is empty.
package openblas
