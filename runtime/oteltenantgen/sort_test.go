package oteltenantgen_test

import (
	"cmp"
	"slices"
)

// sortRows sorts rows by key.
func sortRows[R any](rows []R, key func(R) string) {
	slices.SortFunc(rows, func(x, y R) int { return cmp.Compare(key(x), key(y)) })
}
