//go:build !race

package dispatch_test

// slowdown stretches the tests' deadlines; 1 without the race detector.
const slowdown = 1
