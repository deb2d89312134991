//go:build !linux

package main

// physicalMemory is not known here: serve keeps its least memory limit.
func physicalMemory() uint64 { return 0 }

// containerMemory is not known here.
func containerMemory() uint64 { return 0 }
