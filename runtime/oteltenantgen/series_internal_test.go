package oteltenantgen

import (
	"fmt"
	"sync"
	"testing"
)

func TestSeriesCache(t *testing.T) {
	tel := New()
	// More keys than recent has slots, from several goroutines: every
	// lookup returns its key's one series.
	keys := make([]seriesKey, 3*len(tel.cache.recent))
	for i := range keys {
		keys[i] = seriesKey{"q", fmt.Sprintf("task%d", i%7), fmt.Sprintf("t%d", i)}
	}
	first := make([]*series, len(keys))
	for i, k := range keys {
		first[i] = tel.cache.get(k, true)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for round := range 3 {
				for i := range keys {
					i := (i + g*11) % len(keys)
					if se := tel.cache.get(keys[i], true); se != first[i] || se.key != keys[i] {
						t.Errorf("goroutine %d, round %d: key %v has series of %v, want its first", g, round, keys[i], se.key)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}
