//go:build !unix

package oteltenantgen_test

import "time"

// cpuTime returns 0 where the benchmark cannot read its CPU time.
func cpuTime() time.Duration { return 0 }
