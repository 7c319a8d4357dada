package queue

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCountedAcks: the counted acknowledgements go to ackInto lane by lane,
// each lane once with how many it counts down, and the entry IDs in the
// same lane order.
func TestCountedAcks(t *testing.T) {
	t.Parallel()
	d := func(entry, lane string) *delivery { return &delivery{entry: entry, lane: lane, counted: true} }
	for _, tc := range []struct {
		name string
		ds   []*delivery
		want []any
	}{
		{"one", []*delivery{d("1-0", "a")}, []any{"base", "1", "a", "-1", "1-0"}},
		{
			"lanes",
			[]*delivery{d("1-0", "b"), d("2-0", "a:t.c"), d("3-0", "b"), d("4-0", "c"), d("5-0", "b")},
			[]any{"base", "3", "a:t.c", "-1", "b", "-3", "c", "-1", "2-0", "1-0", "3-0", "5-0", "4-0"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, countedAcks([]any{"base"}, tc.ds)); diff != "" {
				t.Errorf("countedAcks (-want +got):\n%s", diff)
			}
		})
	}
}
