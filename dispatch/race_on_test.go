//go:build race

package dispatch_test

// slowdown stretches the tests' deadlines under the race detector, which
// makes the pure-Go SQLite driver 20 to 50 times slower.
const slowdown = 6
