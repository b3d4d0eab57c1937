// Package optim holds the optimizers of deep learning (SGD, Adam, AdamW),
// learning-rate schedules and gradient clipping, all acting on autograd.Params.
package optim
