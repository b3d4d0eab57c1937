// Package procmem reads memory figures from Linux's /proc files: the
// system's available memory (MemAvailable of /proc/meminfo), which the
// local sweep executor budgets its trials with, and this process's peak
// resident memory (VmHWM of /proc/self/status), which benchmarks report,
// and the CPU time the process has used (getrusage, on Unix systems).
// On systems without these files every figure is 0, meaning unknown.
package procmem
