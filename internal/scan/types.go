package scan

import (
	"fmt"
	"go/token"
	"go/types"
	"reflect"
	"strings"

	"golang.org/x/tools/go/packages"
)

// paramProblem describes why parameter v of a task, declared between start
// and end, cannot be carried in a queued task, or returns "".
func (s *scanner) paramProblem(p *packages.Package, v *types.Var, start, end token.Pos) string {
	name := v.Name()
	if name == "" || name == "_" {
		name = "parameter"
	} else {
		name = "parameter " + name
	}
	qual := qualifier(p.Types)
	if hasInvalid(v.Type(), make(map[types.Type]bool)) {
		for _, e := range p.TypeErrors {
			if start <= e.Pos && e.Pos < end {
				return fmt.Sprintf("%s has an invalid type: %s", name, e.Msg)
			}
		}
		return fmt.Sprintf("%s has an invalid type; fix the type errors in the package (go build shows them)", name)
	}
	if msg := nameable(v.Type(), p.Types, qual); msg != "" {
		return fmt.Sprintf("%s: %s", name, msg)
	}
	j := jsonChecker{qual: qual, seen: make(map[types.Type]bool)}
	path := v.Name()
	if path == "" || path == "_" {
		path = "the parameter"
	}
	if msg := j.check(v.Type(), path); msg != "" {
		return fmt.Sprintf("%s cannot be encoded as JSON: %s", name, msg)
	}
	return ""
}

// qualifier prints types of pkg unqualified and others by package name, as
// Go source refers to them.
func qualifier(pkg *types.Package) types.Qualifier {
	return func(p *types.Package) string {
		if p == pkg {
			return ""
		}
		return p.Name()
	}
}

// hasInvalid reports whether t mentions an invalid type, the mark of a type
// error.
func hasInvalid(t types.Type, seen map[types.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t := t.(type) {
	case *types.Basic:
		return t.Kind() == types.Invalid
	case *types.Alias:
		return hasInvalid(types.Unalias(t), seen)
	case *types.Named:
		for a := range t.TypeArgs().Types() {
			if hasInvalid(a, seen) {
				return true
			}
		}
		return hasInvalid(t.Underlying(), seen)
	case *types.Pointer:
		return hasInvalid(t.Elem(), seen)
	case *types.Slice:
		return hasInvalid(t.Elem(), seen)
	case *types.Array:
		return hasInvalid(t.Elem(), seen)
	case *types.Map:
		return hasInvalid(t.Key(), seen) || hasInvalid(t.Elem(), seen)
	case *types.Struct:
		for f := range t.Fields() {
			if hasInvalid(f.Type(), seen) {
				return true
			}
		}
	}
	return false
}

// nameable describes why generated code in package pkg cannot spell type t,
// or returns "".
func nameable(t types.Type, pkg *types.Package, qual types.Qualifier) string {
	switch t := types.Unalias(t).(type) {
	case *types.Named:
		obj := t.Obj()
		if obj.Pkg() == nil {
			return "" // error, comparable
		}
		if obj.Parent() != obj.Pkg().Scope() {
			return fmt.Sprintf("type %s is declared inside a function, so generated code cannot name it; declare it at package level", obj.Name())
		}
		if obj.Pkg() != pkg && !obj.Exported() {
			return fmt.Sprintf("type %s is not exported by package %s, so generated code cannot name it", types.TypeString(t, qual), obj.Pkg().Path())
		}
		for a := range t.TypeArgs().Types() {
			if msg := nameable(a, pkg, qual); msg != "" {
				return msg
			}
		}
	case *types.Pointer:
		return nameable(t.Elem(), pkg, qual)
	case *types.Slice:
		return nameable(t.Elem(), pkg, qual)
	case *types.Array:
		return nameable(t.Elem(), pkg, qual)
	case *types.Map:
		if msg := nameable(t.Key(), pkg, qual); msg != "" {
			return msg
		}
		return nameable(t.Elem(), pkg, qual)
	case *types.Struct:
		return "anonymous struct types are not supported; declare a named struct type"
	}
	return ""
}

// jsonChecker finds the parts of a type that encoding/json cannot carry
// through a queue unchanged.
type jsonChecker struct {
	qual types.Qualifier
	seen map[types.Type]bool
}

// check describes the first problem in type t, found at the Go expression
// path (such as args.Items[i].Price), or returns "".
func (j *jsonChecker) check(t types.Type, path string) string {
	t = types.Unalias(t)
	if j.seen[t] {
		return "" // recursive types are checked once
	}
	if _, ok := t.(*types.Named); ok {
		j.seen[t] = true
	}
	if marshals(t) {
		return ""
	}
	ts := types.TypeString(t, j.qual)
	switch u := t.Underlying().(type) {
	case *types.Basic:
		switch {
		case u.Info()&types.IsComplex != 0:
			return fmt.Sprintf("%s has complex type %s; store its real and imaginary parts as float64", path, ts)
		case u.Kind() == types.UnsafePointer:
			return fmt.Sprintf("%s is an unsafe.Pointer", path)
		}
	case *types.Pointer:
		return j.check(u.Elem(), path)
	case *types.Slice:
		return j.check(u.Elem(), path+"[i]")
	case *types.Array:
		return j.check(u.Elem(), path+"[i]")
	case *types.Map:
		if !mapKeyOK(u.Key()) {
			return fmt.Sprintf("%s has map key type %s; use a string or integer key type", path, types.TypeString(u.Key(), j.qual))
		}
		return j.check(u.Elem(), path+"[k]")
	case *types.Struct:
		for i := range u.NumFields() {
			f := u.Field(i)
			tag := reflect.StructTag(u.Tag(i)).Get("json")
			if tag == "-" {
				continue
			}
			if !f.Exported() {
				if _, isStruct := types.Unalias(f.Type()).Underlying().(*types.Struct); f.Embedded() && isStruct {
					if msg := j.check(f.Type(), path); msg != "" {
						return msg
					}
					continue
				}
				return fmt.Sprintf("field %s.%s is unexported, so encoding/json would silently drop it; export it or tag it `json:\"-\"`", path, f.Name())
			}
			if msg := j.check(f.Type(), path+"."+f.Name()); msg != "" {
				return msg
			}
		}
	case *types.Interface:
		return fmt.Sprintf("%s has interface type %s, which JSON cannot decode back into the value it held; use a concrete type", path, ts)
	case *types.Chan:
		return fmt.Sprintf("%s is a channel (%s)", path, ts)
	case *types.Signature:
		return fmt.Sprintf("%s is a function (%s)", path, ts)
	case *types.TypeParam:
		return fmt.Sprintf("%s has type parameter type %s", path, ts)
	}
	return ""
}

// marshals reports whether t encodes and decodes itself, as a JSON or text
// (un)marshaler: time.Time, uuid.UUID and the like.
func marshals(t types.Type) bool {
	return hasMethod(t, "MarshalJSON") && hasMethod(types.NewPointer(t), "UnmarshalJSON") ||
		hasMethod(t, "MarshalText") && hasMethod(types.NewPointer(t), "UnmarshalText")
}

// mapKeyOK reports whether encoding/json can use t as a map key.
func mapKeyOK(t types.Type) bool {
	if b, ok := t.Underlying().(*types.Basic); ok && b.Info()&(types.IsString|types.IsInteger) != 0 {
		return true
	}
	return hasMethod(t, "MarshalText") && hasMethod(types.NewPointer(t), "UnmarshalText")
}

// hasMethod reports whether t's method set has an exported method name.
func hasMethod(t types.Type, name string) bool {
	ms := types.NewMethodSet(t)
	for i := range ms.Len() {
		if ms.At(i).Obj().Name() == name {
			return true
		}
	}
	return false
}

// StubName returns the name of the generated Enqueue function of t.
func (t *Task) StubName() string {
	if t.Exported() {
		return "Enqueue" + t.Func
	}
	return "enqueue" + strings.ToUpper(t.Func[:1]) + t.Func[1:]
}

// NameConst returns the name of the generated constant holding t's task
// name, <Func>TaskName: exported when the task function is, as its Enqueue
// function is.
func (t *Task) NameConst() string { return t.Func + "TaskName" }

// VarName returns the name of the generated variable holding t's definition.
func (t *Task) VarName() string { return lowerInitial(t.Func) + "Task" }

// ParamsType returns the name of the generated type that carries t's plain
// parameters, or "" if t takes a struct or nothing.
func (t *Task) ParamsType() string {
	if t.Struct || len(t.Params) == 0 {
		return ""
	}
	return lowerInitial(t.Func) + "Params"
}

// RegisterFunc is the name of the generated registration function.
const RegisterFunc = "RegisterTasks"

// lowerInitial lowers the leading initialism or letter of an identifier, the
// way Go code names a variable after a type: SendInvoice → sendInvoice,
// URLFetch → urlFetch, ID → id.
func lowerInitial(s string) string {
	n := 0
	for n < len(s) && 'A' <= s[n] && s[n] <= 'Z' {
		n++
	}
	if n > 1 && n < len(s) && 'a' <= s[n] && s[n] <= 'z' {
		n-- // the last capital starts the next word
	}
	return strings.ToLower(s[:n]) + s[n:]
}
