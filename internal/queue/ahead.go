package queue

import (
	"sync/atomic"
	"time"
)

// aheadMeter sizes fetching ahead. A fetch costs a round trip whatever its
// count, and while it is on the wire the handlers that finish have nothing
// to start: with tasks shorter than a round trip, most slots stand idle.
// So a fetch asks, beyond the worker's free slots, for about as many tasks
// as its handlers are expected to finish during one fetch: Concurrency ×
// round trip ÷ run time, never more than its free slots. Those wait in
// the fetcher for a slot, about one round trip on average, and go back to
// their lanes if none frees within wait. A worker whose tasks take longer
// than its fetches fetches hardly more than it has free slots, so that no
// task waits behind a long one while another worker stands idle.
type aheadMeter struct {
	run  atomic.Int64  // moving average of attempts' run times, ns; 0: none ended yet
	trip time.Duration // moving average of fetch round trips; the fetcher's own
	off  bool          // never fetch ahead: for tests of the exact order of starts
}

// noteRun adds an attempt's run time d to the average. Handlers call it at
// once: an update lost to another is one sample fewer, not a wrong average.
func (m *aheadMeter) noteRun(d time.Duration) {
	m.run.Store(int64(movingAverage(time.Duration(m.run.Load()), d)))
}

// noteHandBack records that a fetch's extra tasks waited too long and went
// back: it doubles the run time average, halving how far the next fetches
// read ahead until run times say otherwise, so that a worker whose tasks
// turned slow stops paying for hand-backs at once.
func (m *aheadMeter) noteHandBack() {
	if run := m.run.Load(); run > 0 {
		m.run.Store(2 * run)
	}
}

// noteTrip adds a fetch round trip d to the average.
func (m *aheadMeter) noteTrip(d time.Duration) {
	m.trip = movingAverage(m.trip, d)
}

// extra returns how many tasks to fetch beyond free, the free slots of a
// worker of concurrency handlers: none until both averages have a sample,
// and no more than free, so that a worker whose handlers are busy (slow or
// stuck tasks) fetches few ahead.
func (m *aheadMeter) extra(free, concurrency int) int {
	run := time.Duration(m.run.Load())
	if m.off || run <= 0 || m.trip <= 0 {
		return 0
	}
	return int(min(int64(concurrency)*int64(m.trip)/int64(run), int64(free)))
}

// wait returns how long the extra tasks of a fetch may wait for slots
// before they go back to their lanes: two round trips, at least a
// millisecond, at most aheadMaxWait.
func (m *aheadMeter) wait() time.Duration {
	return min(max(2*m.trip, time.Millisecond), aheadMaxWait)
}

// aheadMaxWait bounds how long a task fetched ahead waits in a worker for
// a slot, whatever the round trips.
const aheadMaxWait = 20 * time.Millisecond

// movingAverage returns avg moved an eighth of the way to d, or d when avg
// has no sample yet (0).
func movingAverage(avg, d time.Duration) time.Duration {
	if avg <= 0 {
		return max(d, 1)
	}
	return avg + (d-avg)/8
}
