//go:build !linux

package slurmtest

import "errors"

func unavailable() string { return "the test Slurm cluster runs on Linux only" }

func start() (*Cluster, error) { return nil, errors.New("slurmtest: not on Linux") }

func (c *Cluster) stop() error { return nil }
