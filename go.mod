module github.com/spikegrad/spikegrad

go 1.26
