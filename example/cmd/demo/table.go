package main

import (
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/tenantgen/tenantgen/example/service"
)

// table prints one line per tenant and one for the shared schema.
func (d *demo) table(reports []service.TenantReport, shared service.SharedReport) {
	fmt.Println()
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "tenant\tschema\ttasks run\tretries\tdead letters\trows in its schema\tran in its own schema")
	for _, r := range reports {
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%d\t%d of %d\n", r.Tenant, r.Schema, r.TasksRun, r.Retries, r.Dead, r.RowsTotal(), r.TasksRun-r.Foreign, r.TasksRun)
	}
	fmt.Fprintf(w, "(public)\t%s\t%d\t%d\t%d\t%d\t-\n", d.s.SharedSchema(), shared.RateRefreshes, 0, shared.Dead, shared.Rates+shared.RateRefreshes)
	w.Flush()
	fmt.Println()
}
