package dashboard

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/tenantgen/tenantgen/runtime"
)

// chart draws a queue's history as an inline SVG bar chart: one bar per
// minute, the tasks done in blue with the failures stacked on them in red.
// It is drawn on the server, so the page needs no chart library, and it
// has a title and a description for screen readers.
func chart(id, title string, mins []runtime.Bucket) template.HTML {
	const (
		w, h     = 480.0, 120.0
		top, bot = 8.0, 18.0
	)
	var peak, done, failed int64
	for _, m := range mins {
		peak = max(peak, m.Processed)
		done += m.Processed - m.Failed
		failed += m.Failed
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %g %g" role="img" aria-labelledby="%s-t %s-d">`, w, h, id, id)
	fmt.Fprintf(&b, `<title id="%s-t">%s</title>`, id, template.HTMLEscapeString(title))
	fmt.Fprintf(&b, `<desc id="%s-d">%s tasks done and %s failures over the last %d minutes; at most %s in a minute.</desc>`,
		id, num(done), num(failed), len(mins), num(peak))
	fmt.Fprintf(&b, `<line class="axis" x1="0" y1="%g" x2="%g" y2="%g"/>`, h-bot, w, h-bot)
	if n := len(mins); n > 0 && peak > 0 {
		slot := w / float64(n)
		scale := (h - top - bot) / float64(peak)
		for i, m := range mins {
			x := float64(i)*slot + slot*0.15
			bw := slot * 0.7
			dh := float64(m.Processed-m.Failed) * scale
			fh := float64(m.Failed) * scale
			y := h - bot - dh
			if dh > 0 {
				fmt.Fprintf(&b, `<rect class="done" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %s done</title></rect>`,
					x, y, bw, dh, m.Start.UTC().Format("15:04"), num(m.Processed-m.Failed))
			}
			if fh > 0 {
				fmt.Fprintf(&b, `<rect class="fail" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %s failed</title></rect>`,
					x, y-fh, bw, fh, m.Start.UTC().Format("15:04"), num(m.Failed))
			}
		}
		fmt.Fprintf(&b, `<text x="0" y="%g">%s</text>`, h-4, mins[0].Start.UTC().Format("15:04"))
		fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="end">%s UTC</text>`, w, h-4, mins[n-1].Start.UTC().Format("15:04"))
		fmt.Fprintf(&b, `<text x="2" y="%g">%s/min</text>`, top+4, num(peak))
	} else {
		fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="middle">no tasks in the last hour</text>`, w/2, h/2)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every value in it is escaped or a number
}
