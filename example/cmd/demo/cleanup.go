package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/tenantgen/tenantgen/example/internal/procs"
	"github.com/tenantgen/tenantgen/example/service"
)

// cleanupTimeout bounds the teardown, which runs when ctx has been
// cancelled too.
const cleanupTimeout = 30 * time.Second

// cleanup stops the processes and, unless asked to keep them, drops the
// namespace's schemas and Redis keys. It removes the temporary directory
// of logs and binaries unless the demo failed (its logs then explain why)
// or -keep was given; an interrupted demo leaves nothing behind.
func (d *demo) cleanup(ctx context.Context, passed bool) error {
	var sig signalError
	interrupted := errors.As(context.Cause(ctx), &sig)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	var errs []error
	for _, p := range []*procs.Proc{d.web, d.worker} {
		if p != nil && !p.Exited() {
			p.Kill()
		}
	}
	if d.app != nil {
		d.app.Close()
	}
	if d.keep {
		step("kept namespace %s; drop it with: go run ./example/cmd/demo -teardown -namespace %s", d.s.Namespace, d.s.Namespace)
	} else {
		step("cleaning up: dropping the schemas and Redis keys of %s", d.s.Namespace)
		if err := service.Teardown(ctx, d.s); err != nil {
			errs = append(errs, err)
			fmt.Printf("    cleanup failed; retry with: go run ./example/cmd/demo -teardown -namespace %s\n", d.s.Namespace)
		}
	}
	if interrupted || passed && !d.keep {
		os.RemoveAll(d.dir)
	} else {
		fmt.Printf("    logs kept in %s\n", d.dir)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	switch {
	case interrupted:
		step("demo interrupted")
	case passed:
		step("demo passed")
	default:
		step("demo FAILED")
	}
	return nil
}
