//go:build race

package codec_test

// raceEnabled thins the slowest differential test, which the race
// detector makes ten times slower and which checks no concurrency.
const raceEnabled = true
