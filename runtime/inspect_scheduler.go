package runtime

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenantgen/tenantgen/internal/schedule"
)

// SchedulerInfo is the state of the schedulers of the App's prefix, as
// Scheduler reports it.
type SchedulerInfo struct {
	Leader    string        // the token (holder/epoch) of the scheduler that leads; "" if none does
	LeaderTTL time.Duration // how long its lease lasts without renewal
	Entries   []ScheduleEntryInfo
	Problems  []string // problems of entries and periodic tasks rows, such as duplicate names
}

// ScheduleEntryInfo is one periodic task. Entries declared in the App's
// Config.Schedule, by cron specs of its registered tasks, and rows of
// periodic tasks tables (when Config.Schedule.Tables is set) are described
// in full; entries known only by their state in Redis (declared by other
// processes) have only ID and LastTick.
type ScheduleEntryInfo struct {
	ID       string // name@target
	Task     string
	Timing   string // the cron spec, or "every <duration>", or "at <time>" for a one-off row
	Targets  string // "all tenants", "public", or the tenant IDs
	Source   string // "go", "table <schema>", or "" when only its state is known
	LastTick time.Time
	NextRun  time.Time // zero when unknown
}

// Scheduler reports the schedulers' leader, the entries and their last and
// next ticks, and the rows of periodic tasks tables with their problems.
func (in *Inspector) Scheduler(ctx context.Context) (SchedulerInfo, error) {
	return in.scheduler(ctx)
}

func (in *Inspector) scheduler(ctx context.Context) (SchedulerInfo, error) {
	leaseKey, _, stateKey := schedule.Keys(in.app.cfg.Prefix)
	pipe := in.app.rdb.Pipeline()
	leader := pipe.Get(ctx, leaseKey)
	ttl := pipe.PTTL(ctx, leaseKey)
	state := pipe.HGetAll(ctx, stateKey)
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return SchedulerInfo{}, fmt.Errorf("tenantgen: inspect the scheduler: %w", err)
	}
	var info SchedulerInfo
	if tok, err := leader.Result(); err == nil {
		info.Leader, info.LeaderTTL = tok, max(ttl.Val(), 0)
	}
	last := map[string]time.Time{}
	for id, v := range state.Val() {
		if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
			last[id] = time.UnixMilli(ms)
		}
	}
	now := time.Now()
	if clock := in.app.cfg.Schedule.Now; clock != nil {
		now = clock()
	}
	seen := map[string]bool{}
	if in.app.cfg.scheduled() {
		s, err := NewScheduler(in.app, in.app.cfg.Schedule)
		if err != nil {
			info.Problems = append(info.Problems, err.Error())
		} else {
			entries, problems, err := s.engine.Describe(ctx)
			if err != nil {
				info.Problems = append(info.Problems, err.Error())
			}
			for _, p := range problems {
				info.Problems = append(info.Problems, p.Error())
			}
			for _, e := range entries {
				seen[e.ID()] = true
				info.Entries = append(info.Entries, ScheduleEntryInfo{
					ID: e.ID(), Task: e.Task(), Timing: e.Timing(), Targets: e.Targets(), Source: e.Source(),
					LastTick: last[e.ID()], NextRun: e.Next(last[e.ID()], now),
				})
			}
		}
	}
	for id, t := range last {
		if !seen[id] {
			info.Entries = append(info.Entries, ScheduleEntryInfo{ID: id, LastTick: t})
		}
	}
	slices.SortFunc(info.Entries, func(x, y ScheduleEntryInfo) int { return cmp.Compare(x.ID, y.ID) })
	return info, nil
}
