package queue

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The hand-written envelope codec must agree with encoding/json: encode
// byte for byte with json.Marshal, and the fast decoder, whenever it accepts
// its input, with json.Unmarshal.

var codecSeeds = []Envelope{
	{Version: 1, ID: "ID1", Name: "app.task", Tenant: "acme", Queue: "default", Args: json.RawMessage(`[]`), Retries: 10, Enqueued: 1700000000000},
	{Version: 1, ID: "ID2", Name: "app.public", Queue: "q", Args: json.RawMessage(`[1,"two",{"three":[3,null,true]}]`), Attempt: 2, Retries: 0, Timeout: 1500, Deadline: 1800000000000, Enqueued: 1, Due: 1700000000500},
	{Version: 1, ID: "ID3", Name: "t", Tenant: "x", Queue: "q", Args: json.RawMessage(`{"s":"with space, \"quotes\" and \\ \u00e9"}`), Retries: -1, Enqueued: -5, Headers: map[string]string{"b": "2", "a": "1", "traceparent": "00-abc-def-01"}, Error: "boom"},
	{Version: 1, ID: "ID4", Name: "t", Queue: "q", Args: json.RawMessage(` [ 1 , 2 ] `), Enqueued: 1},
	{Version: 1, ID: "ID5", Name: "t", Queue: "q", Args: json.RawMessage(`"<a&b>"`), Enqueued: 1},
	{Version: 1, ID: "ID6", Name: "t<", Tenant: "é", Queue: "q", Args: json.RawMessage(`"\u2028"`), Enqueued: 1, Error: "panic: x\n\ngoroutine 1"},
	{Version: 1, ID: "ID7", Name: "t", Queue: "q", Enqueued: 1},
	{Version: 1, ID: "ID8", Name: "t", Queue: "q", Args: json.RawMessage(`null`), Headers: map[string]string{}, Enqueued: 1},
	{Version: 1, ID: "ID9", Name: "t", Queue: "q", Args: json.RawMessage(`{"a":{"b":[{"c":"}]"}]}}`), Headers: map[string]string{"k": "v\"q"}, Enqueued: 1},
	{Version: 1, ID: "ID10", Name: "t", Queue: "q", Args: json.RawMessage(`-12.5e3`), Enqueued: 1},
	{Version: 1, ID: "ID11", Name: "t", Tenant: "acme", Queue: "q", Args: json.RawMessage(`[]`), Enqueued: 1, KeyID: "k2026", Sig: "q83vEjRWeJASNFZ4kBI0VniQEjRWeJASNFZ4kBI0Vng"},
	{Version: 1, ID: "ID12", Name: "t", Queue: "q", Args: json.RawMessage(`[]`), Enqueued: 1, KeyID: "k\"", Sig: "<"},
	{Version: 1, ID: "ID13", Name: "t", Queue: "q", Args: json.RawMessage(`[]`), Enqueued: 1, Headers: map[string]string{ // more than fit on the encoder's stack
		"j": "10", "i": "9", "h": "8", "g": "7", "f": "6", "e": "5", "d": "4", "c": "3", "b": "2", "a": "1"}},
}

func TestEnvelopeEncodeMatchesJSON(t *testing.T) {
	t.Parallel()
	for _, env := range codecSeeds {
		t.Run(env.ID, func(t *testing.T) {
			t.Parallel()
			checkEncode(t, &env)
		})
	}
}

func checkEncode(t *testing.T, env *Envelope) {
	t.Helper()
	want, wantErr := json.Marshal(env)
	got, err := env.encode()
	if (err != nil) != (wantErr != nil) || (err == nil && got != string(want)) {
		t.Fatalf("encode(%+v) = %s, %v; json.Marshal = %s, %v", env, got, err, want, wantErr)
	}
	if err != nil {
		return
	}
	checkDecode(t, got)
}

func checkDecode(t *testing.T, s string) {
	t.Helper()
	fast, ok := decodeEnvelopeFast(s)
	var want Envelope
	err := json.Unmarshal([]byte(s), &want)
	if !ok {
		return
	}
	if err != nil {
		t.Fatalf("fast decoder accepted %q, which json.Unmarshal rejects: %v", s, err)
	}
	if diff := cmp.Diff(want, *fast); diff != "" {
		t.Fatalf("decode(%q): fast decoder differs from json.Unmarshal (-json +fast):\n%s", s, diff)
	}
}

func TestEnvelopeDecodeMatchesJSON(t *testing.T) {
	t.Parallel()
	for i, s := range decodeSeeds() {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			t.Parallel()
			checkDecode(t, s)
		})
	}
}

// TestEnvelopeDecodeTakesFastPath: the envelopes this engine writes take
// the fast path.
func TestEnvelopeDecodeTakesFastPath(t *testing.T) {
	t.Parallel()
	for _, env := range codecSeeds[:3] {
		t.Run(env.ID, func(t *testing.T) {
			t.Parallel()
			s, err := env.encode()
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := decodeEnvelopeFast(s); !ok {
				t.Errorf("fast decoder rejects %s", s)
			}
		})
	}
}

func decodeSeeds() []string {
	list := []string{
		`{}`, ` { } `, `{"v":1}`, `{"v":1,"v":2}`, `{"V":1}`, `{"v":1.0}`, `{"v":1e2}`, `{"v":-0}`, `{"v":01}`,
		`{"v":99999999999999999999}`, `{"v":"1"}`, `{"id":null}`, `{"args":null}`, `{"args":}`, `{"args":[1,}`,
		`{"args":"a\"b"}`, `{"args":[1]]}`, `{"args":1 2}`, `{"h":{"a":"b","a":"c"}}`, `{"h":{}}`, `{"h":null}`,
		`{"h":{"a":1}}`, `{"err":"a\nb"}`, `{"err":"\u0041"}`, `{"task":"é"}`, `{"v":1}x`, `{"v":1,}`, `{"v" : 1 , "q" : "x" }`,
		"{\"q\":\"a\tb\"}", `{"args":{"x":"]"} }`, `{"args":true}`, `{"args":"x"}`, `{"args":[`, `{"args":"\`, `[]`, ``,
		`{"v":1,"id":"A","task":"t","q":"q","args":[],"r":1,"at":1,"unknown":2}`,
	}
	for _, env := range codecSeeds {
		b, _ := json.Marshal(env)
		list = append(list, string(b))
	}
	return list
}

func FuzzEnvelopeDecode(f *testing.F) {
	for _, s := range decodeSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkDecode(t, s) })
}

func FuzzEnvelopeEncode(f *testing.F) {
	f.Add("ID", "task", "acme", "default", `[]`, 0, 3, int64(0), int64(0), int64(1), "k", "v", "")
	f.Add("ID", "t<", "é", "q", `{"a": "b c"}`, 1, -1, int64(5), int64(6), int64(-1), "", "", "err\n")
	f.Fuzz(func(t *testing.T, id, name, tenant, queue, args string, attempt, retries int, timeout, deadline, enqueued int64, hk, hv, errStr string) {
		env := &Envelope{
			Version: 1, ID: id, Name: name, Tenant: tenant, Queue: queue, Args: json.RawMessage(args),
			Attempt: attempt, Retries: retries, Timeout: timeout, Deadline: deadline, Enqueued: enqueued, Error: errStr,
		}
		if hk != "" {
			env.Headers = map[string]string{hk: hv, "z": hv}
		}
		checkEncode(t, env)
	})
}

// BenchmarkEnvelope compares the hand-written codec with encoding/json on
// a typical envelope: the reason the hand-written one exists.
func BenchmarkEnvelope(b *testing.B) {
	env := codecSeeds[0]
	env.Headers = map[string]string{"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
	data, _ := env.encode()
	b.Run("encode/fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			env.encode()
		}
	})
	b.Run("encode/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			json.Marshal(&env)
		}
	})
	b.Run("decode/fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			decodeEnvelope(data)
		}
	})
	b.Run("decode/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var e Envelope
			json.Unmarshal([]byte(data), &e)
		}
	})
}
