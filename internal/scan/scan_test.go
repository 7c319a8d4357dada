package scan

import (
	"go/token"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGeneratedNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fn                                     string
		params                                 int
		isStruct                               bool
		wantConst, wantStub, wantVar, wantType string
	}{
		{"SendInvoice", 1, true, "SendInvoiceTaskName", "EnqueueSendInvoice", "sendInvoiceTask", ""},
		{"ChargeCard", 2, false, "ChargeCardTaskName", "EnqueueChargeCard", "chargeCardTask", "chargeCardParams"},
		{"Ping", 0, false, "PingTaskName", "EnqueuePing", "pingTask", ""},
		{"cleanUp", 1, false, "cleanUpTaskName", "enqueueCleanUp", "cleanUpTask", "cleanUpParams"},
		{"URLFetch", 1, false, "URLFetchTaskName", "EnqueueURLFetch", "urlFetchTask", "urlFetchParams"},
		{"ID", 0, false, "IDTaskName", "EnqueueID", "idTask", ""},
		{"HTTP2Probe", 0, false, "HTTP2ProbeTaskName", "EnqueueHTTP2Probe", "http2ProbeTask", ""},
		{"A", 0, false, "ATaskName", "EnqueueA", "aTask", ""},
		{"_private", 0, false, "_privateTaskName", "enqueue_private", "_privateTask", ""},
	}
	for _, tt := range tests {
		t.Run(tt.fn, func(t *testing.T) {
			t.Parallel()
			task := &Task{Func: tt.fn, Params: make([]Param, tt.params), Struct: tt.isStruct}
			got := []string{task.NameConst(), task.StubName(), task.VarName(), task.ParamsType()}
			want := []string{tt.wantConst, tt.wantStub, tt.wantVar, tt.wantType}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("names of %s (-want +got):\n%s", tt.fn, diff)
			}
		})
	}
}

func TestParsePos(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want token.Position
	}{
		{"/a/b.go:3:7", token.Position{Filename: "/a/b.go", Line: 3, Column: 7}},
		{"/a/b.go:3", token.Position{Filename: "/a/b.go", Line: 3}},
		{`C:\a\b.go:3:7`, token.Position{Filename: `C:\a\b.go`, Line: 3, Column: 7}},
		{"/a/b.go", token.Position{Filename: "/a/b.go"}},
		{"-", token.Position{}},
		{"", token.Position{}},
	}
	for _, tt := range tests {
		if got := parsePos(tt.in); got != tt.want {
			t.Errorf("parsePos(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestErrorFormat(t *testing.T) {
	t.Parallel()
	e := &Error{
		Pos: token.Position{Filename: "/work/app/task.go", Line: 5, Column: 15},
		Msg: `duplicate option "queue"`,
		Related: []Note{
			{Pos: token.Position{Filename: "/work/app/task.go", Line: 5, Column: 3}, Msg: `first "queue" here`},
		},
	}
	tests := []struct {
		dir, want string
	}{
		{"/work", "app/task.go:5:15: duplicate option \"queue\"\n\tapp/task.go:5:3: first \"queue\" here"},
		{"/elsewhere", "/work/app/task.go:5:15: duplicate option \"queue\"\n\t/work/app/task.go:5:3: first \"queue\" here"},
		{"", "/work/app/task.go:5:15: duplicate option \"queue\"\n\t/work/app/task.go:5:3: first \"queue\" here"},
	}
	for _, tt := range tests {
		if got := e.Format(tt.dir); got != tt.want {
			t.Errorf("Format(%q) = %q, want %q", tt.dir, got, tt.want)
		}
	}
}

func TestErrorListSort(t *testing.T) {
	t.Parallel()
	pos := func(file string, line, col int) token.Position {
		return token.Position{Filename: file, Line: line, Column: col}
	}
	list := ErrorList{
		{Pos: pos("b.go", 1, 1), Msg: "x"},
		{Pos: pos("a.go", 2, 1), Msg: "y"},
		{Pos: pos("a.go", 1, 9), Msg: "z"},
		{Pos: pos("a.go", 1, 2), Msg: "w"},
		{Pos: pos("a.go", 1, 2), Msg: "w"},
	}
	list.Sort()
	var got []string
	for _, e := range list {
		got = append(got, e.Error())
	}
	want := []string{"a.go:1:2: w", "a.go:1:9: z", "a.go:2:1: y", "b.go:1:1: x"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sorted errors (-want +got):\n%s", diff)
	}
	if got, want := list.Error(), "a.go:1:2: w (and 3 more errors)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
