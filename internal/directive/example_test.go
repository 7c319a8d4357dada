package directive_test

import (
	"fmt"

	"github.com/tenantgen/tenantgen/internal/directive"
)

func ExampleParse() {
	task, err := directive.Parse("//tenant:task cache=30s dbs=default,replica retries=0")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(task.Cache, task.DBs, task.Retries, task.RetriesSet)

	// Errors carry the byte offset of the offending key or value.
	_, err = directive.Parse("//tenant:task cahce=30s")
	for _, e := range err.(directive.ErrorList) {
		fmt.Printf("column %d: %s\n", e.Offset+1, e.Msg)
	}
	// Output:
	// 30s [default replica] 0 true
	// column 15: unknown option "cahce" in //tenant:task (did you mean "cache"?); valid options: cache, cron, dbs, name, public, queue, retries, tenant_concurrency, tenant_rate, timeout, unique
}

func ExampleMatch() {
	for _, text := range []string{"//tenant:task", "// tenant:task", "// tenant: the owner"} {
		kind, err := directive.Match(text)
		fmt.Println(kind == directive.Directive, err != nil)
	}
	// Output:
	// true false
	// false true
	// false false
}
