package runtime

import (
	"cmp"
	"maps"
	"slices"
)

// warnUnworkedQueues logs a warning for each queue that a registered task
// is enqueued on by default but that Config.Queues leaves out: this worker
// never runs those tasks, and if no other worker lists the queue they
// wait forever. It is a warning, not an error, because workers split by
// queue on purpose (an imports worker, a billing worker) register the
// same generated tasks and leave the others' queues out.
func (a *App) warnUnworkedQueues() {
	byQueue := map[string][]string{}
	for _, name := range a.cfg.Registry.Names() {
		def, _ := a.cfg.Registry.Lookup(name)
		q := cmp.Or(def.Spec().Queue, a.cfg.DefaultQueue)
		if _, ok := a.cfg.Queues[q]; !ok {
			byQueue[q] = append(byQueue[q], name)
		}
	}
	for _, q := range slices.Sorted(maps.Keys(byQueue)) {
		a.cfg.Logger.Warn("tenantgen: this worker does not work the queue of these registered tasks: they run only on a worker whose Config.Queues lists the queue (ignore this if another worker does)",
			"queue", q, "tasks", byQueue[q])
	}
}
