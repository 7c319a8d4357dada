package scan

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"path/filepath"

	"golang.org/x/tools/go/packages"

	"github.com/tenantgen/tenantgen/internal/directive"
	"github.com/tenantgen/tenantgen/internal/names"
)

// file finds the directives in one file and returns its tasks.
func (s *scanner) file(p *packages.Package, f *ast.File) []*Task {
	docs := make(map[*ast.CommentGroup]*ast.FuncDecl)
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Doc != nil {
			docs[fd.Doc] = fd
		}
	}
	var tasks []*Task
	for _, cg := range f.Comments {
		var first *ast.Comment // the group's first directive
		for _, c := range cg.List {
			kind, err := directive.Match(c.Text)
			switch kind {
			case directive.None:
				continue
			case directive.NearMiss:
				s.errorf(c.Slash+token.Pos(err.Offset), "%s", err.Msg)
				continue
			}
			if first != nil {
				e := s.errorf(c.Slash, "second %s directive on one declaration; merge their options into one line", directiveName(c.Text))
				e.Related = []Note{{Pos: s.fset.Position(first.Slash), Msg: "first directive here"}}
				continue
			}
			first = c
			fd := docs[cg]
			if fd == nil || fd.Recv != nil {
				s.misplaced(f, cg, c)
				continue
			}
			if t := s.task(p, fd, c); t != nil {
				tasks = append(tasks, t)
			}
		}
	}
	return tasks
}

// misplaced reports a directive that is not in a top-level function's doc
// comment, saying where it is.
func (s *scanner) misplaced(f *ast.File, cg *ast.CommentGroup, c *ast.Comment) {
	name := directiveName(c.Text)
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			switch {
			case d.Doc == cg && d.Recv != nil:
				s.errorf(c.Slash, "%s on method %s: methods cannot be tasks; declare a top-level function that calls the method", name, d.Name.Name)
				return
			case d.Body != nil && d.Body.Pos() < c.Pos() && c.Pos() < d.Body.End():
				s.errorf(c.Slash, "%s inside the body of %s: move it to the doc comment of a top-level function", name, d.Name.Name)
				return
			}
		case *ast.GenDecl:
			if d.Doc == cg || d.Pos() <= c.Pos() && c.Pos() < d.End() {
				s.errorf(c.Slash, "%s on a %s declaration: it must be in the doc comment of a top-level function", name, d.Tok)
				return
			}
		}
	}
	s.errorf(c.Slash, "%s is not attached to a function: put it in the function's doc comment, with no blank line between them", name)
}

// task checks a directive and the function it annotates.
func (s *scanner) task(p *packages.Package, fd *ast.FuncDecl, c *ast.Comment) *Task {
	opts, err := directive.Parse(c.Text)
	ok := err == nil
	if err != nil {
		for _, e := range err.(directive.ErrorList) {
			se := s.errorf(c.Slash+token.Pos(e.Offset), "%s", e.Msg)
			if e.Related != nil {
				se.Related = []Note{{Pos: s.fset.Position(c.Slash + token.Pos(e.Related.Offset)), Msg: e.Related.Msg}}
			}
		}
	}
	t := &Task{
		Func:    fd.Name.Name,
		File:    filepath.Base(s.fset.Position(fd.Pos()).Filename),
		Pos:     s.fset.Position(fd.Name.Pos()),
		Options: opts,
		Name:    p.PkgPath + "." + fd.Name.Name,
	}
	if !s.signature(p, fd, t) {
		ok = false
	}
	if !ok {
		return nil
	}
	if opts.Cron != "" && len(t.Params) > 0 {
		a, _ := opts.Lookup("cron")
		s.errorf(c.Slash+token.Pos(a.KeyOffset), "option \"cron\" needs a task without arguments, but %s takes %d; the scheduler has no arguments to give it", t.Func, len(t.Params))
		return nil
	}
	if opts.Name != "" {
		t.Name = opts.Name
	} else if err := names.CheckTask(t.Name); err != nil {
		s.errorf(c.Slash, "default task name %q is invalid (%v); set one with name=, e.g. name=%s", t.Name, err, fd.Name.Name)
		return nil
	}
	if prev := s.names[t.Name]; prev != nil {
		e := s.errorf(fd.Name.Pos(), "task name %q of %s is already used by %s; set a different one with name=", t.Name, t.Func, prev.Func)
		e.Related = []Note{{Pos: prev.Pos, Msg: fmt.Sprintf("%s declared here", prev.Func)}}
		return nil
	}
	s.names[t.Name] = t
	return t
}

// signature checks that fd has the form func(ctx context.Context, <params>)
// error and fills t.Params. It reports every problem it finds.
func (s *scanner) signature(p *packages.Package, fd *ast.FuncDecl, t *Task) bool {
	name := fd.Name.Name
	if name == "_" || name == "init" {
		s.errorf(fd.Name.Pos(), "function %s cannot be a task: it cannot be referred to", name)
		return false
	}
	if fd.Type.TypeParams != nil {
		s.errorf(fd.Type.TypeParams.Pos(), "generic function %s cannot be a task: a queued task has no way to choose type arguments", name)
		return false
	}
	obj, _ := p.TypesInfo.Defs[fd.Name].(*types.Func)
	if obj == nil {
		s.errorf(fd.Name.Pos(), "cannot type-check function %s", name)
		return false
	}
	sig := obj.Signature()
	params, paramEnds := paramPositions(fd)
	ok := true

	if sig.Params().Len() == 0 || !isContext(sig.Params().At(0).Type()) {
		pos := fd.Type.Params.Pos()
		got := "no parameters"
		if sig.Params().Len() > 0 {
			pos = params[0]
			got = "first parameter of type " + types.TypeString(sig.Params().At(0).Type(), qualifier(p.Types))
		}
		s.errorf(pos, "task function %s must take a context.Context as its first parameter; it has %s", name, got)
		ok = false
	}
	if sig.Variadic() {
		s.errorf(params[len(params)-1], "task function %s is variadic; pass a slice instead", name)
		ok = false
	}
	if r := sig.Results(); r.Len() != 1 || !types.Identical(r.At(0).Type(), errorType) {
		pos := fd.Type.Params.End()
		if fd.Type.Results != nil {
			pos = fd.Type.Results.Pos()
		}
		s.errorf(pos, "task function %s must return exactly one result, of type error", name)
		ok = false
	}
	for i := 1; i < sig.Params().Len(); i++ {
		v := sig.Params().At(i)
		if isContext(v.Type()) && !ok {
			continue // already reported: the context must come first
		}
		if msg := s.paramProblem(p, v, params[i], paramEnds[i]); msg != "" {
			s.errorf(params[i], "task function %s: %s", name, msg)
			ok = false
			continue
		}
		t.Params = append(t.Params, Param{Name: v.Name(), Type: v.Type()})
	}
	if !ok {
		return false
	}
	if len(t.Params) == 1 {
		u := types.Unalias(t.Params[0].Type)
		if ptr, isPtr := u.(*types.Pointer); isPtr {
			u = ptr.Elem()
		}
		_, t.Struct = u.Underlying().(*types.Struct)
	}
	return true
}

// paramPositions returns where each parameter of fd starts, and where its
// declaration (name and type) ends, in order.
func paramPositions(fd *ast.FuncDecl) (starts, ends []token.Pos) {
	for _, field := range fd.Type.Params.List {
		if len(field.Names) == 0 {
			starts, ends = append(starts, field.Pos()), append(ends, field.End())
		}
		for _, n := range field.Names {
			starts, ends = append(starts, n.Pos()), append(ends, field.End())
		}
	}
	return starts, ends
}

var errorType = types.Universe.Lookup("error").Type()

// isContext reports whether t is context.Context.
func isContext(t types.Type) bool {
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "context" && n.Obj().Name() == "Context"
}
