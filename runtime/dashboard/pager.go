package dashboard

import (
	"fmt"
	"net/http"
	"strconv"
)

// pager is the navigation under a paged table: the links to the previous
// and next pages, which keep the page's other query parameters.
type pager struct {
	Label      string // what is paged, for the nav's accessible name
	Text       string // "rows 51–100"
	Prev, Next string
}

// pageOf returns the page number the request asks for (?page=N, from 1)
// and the offset of its first row.
func (h *handler) pageOf(r *http.Request) (page, offset int) {
	page, _ = strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 1)
	return page, (page - 1) * h.opts.PageSize
}

// newPager returns the pager of page of a table of n rows shown, with
// more rows after them or not.
func (h *handler) newPager(r *http.Request, label string, page, n int, more bool) (pager, error) {
	self := h.base + r.URL.RequestURI()
	p := pager{Label: label}
	first := (page-1)*h.opts.PageSize + 1
	if n > 0 {
		p.Text = fmt.Sprintf("rows %s–%s", num(first), num(first+n-1))
	}
	var err error
	if page > 1 {
		if p.Prev, err = withQuery(self, "page", page-1); err != nil {
			return p, err
		}
	}
	if more {
		p.Next, err = withQuery(self, "page", page+1)
	}
	return p, err
}
