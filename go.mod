module github.com/spikegrad/spikegrad

go 1.26

require golang.org/x/sys v0.38.0
