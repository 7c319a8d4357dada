package main

import (
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/tenantgen/tenantgen/example/service"
)

// table prints one line per tenant, one for the shared schema and their
// totals. Tasks are counted as plan.go says: tasks = ran + dead letters.
func (d *demo) table(reports []service.TenantReport, shared service.SharedReport) {
	fmt.Println()
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "tenant\tschema\ttasks\tran\tdead letters\tretries\trows in its schema\tran in its own schema")
	var tasks, ran, dead, retries int
	for _, r := range reports {
		n := r.TasksRun + r.Dead
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d of %d\n", r.Tenant, r.Schema, n, r.TasksRun, r.Dead, r.Retries, r.RowsTotal(), r.TasksRun-r.Foreign, r.TasksRun)
		tasks, ran, dead, retries = tasks+n, ran+r.TasksRun, dead+r.Dead, retries+r.Retries
	}
	n := shared.TasksRun() + shared.Dead
	fmt.Fprintf(w, "(public)\t%s\t%d\t%d\t%d\t%d\t%d\t-\n", d.s.SharedSchema(), n, shared.TasksRun(), shared.Dead, 0, shared.Rows())
	tasks, ran, dead = tasks+n, ran+shared.TasksRun(), dead+shared.Dead
	fmt.Fprintf(w, "total\t\t%d\t%d\t%d\t%d\n", tasks, ran, dead, retries)
	w.Flush()
	fmt.Println("\na task is one enqueued task: tasks = ran + dead letters; a retry is another attempt of the same task")
	fmt.Println()
}
