package codegen

import (
	"bytes"
	"fmt"
	"go/format"
	"go/types"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dave/jennifer/jen"

	"github.com/tenantgen/tenantgen/internal/scan"
)

// RuntimePath is the import path of the runtime package that generated code
// calls.
const RuntimePath = "github.com/tenantgen/tenantgen/runtime"

// Render returns the gofmt'ed source of pkg's generated file.
func Render(pkg *scan.Package) ([]byte, error) {
	g := &generator{pkg: pkg, f: jen.NewFilePathName(pkg.Path, pkg.Name)}
	g.f.HeaderComment(scan.Header)
	g.f.HeaderComment("// If this file does not compile, a //tenant:task function changed: run go generate.")
	g.imports()
	g.names()
	for _, t := range pkg.Tasks {
		g.task(t)
	}
	g.register()
	var buf bytes.Buffer
	if err := g.f.Render(&buf); err != nil {
		return nil, err
	}
	return groupImports(buf.Bytes())
}

// groupImports separates the standard library's imports from the others
// with a blank line, as goimports does. jennifer writes one sorted block.
func groupImports(src []byte) ([]byte, error) {
	start := bytes.Index(src, []byte("\nimport (\n"))
	if start < 0 {
		return src, nil // no import block, or a single import
	}
	start += len("\nimport (\n")
	end := start + bytes.Index(src[start:], []byte("\n)\n"))
	var std, other []string
	for line := range strings.Lines(string(src[start:end]) + "\n") {
		_, path, _ := strings.Cut(line, `"`)
		if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
			other = append(other, line)
		} else {
			std = append(std, line)
		}
	}
	block := strings.Join(std, "")
	if len(std) > 0 && len(other) > 0 {
		block += "\n"
	}
	block += strings.Join(other, "")
	out := slices.Concat(src[:start], []byte(strings.TrimSuffix(block, "\n")), src[end:])
	return format.Source(out)
}

type generator struct {
	pkg *scan.Package
	f   *jen.File
}

// imports names the packages the file refers to by their real names,
// aliasing any whose name the package itself declares.
func (g *generator) imports() {
	paths := map[string]string{"context": "context", "time": "time", RuntimePath: "runtime"}
	for _, t := range g.pkg.Tasks {
		for _, p := range t.Params {
			packagesOf(p.Type, paths)
		}
	}
	for path, name := range paths {
		if path == g.pkg.Path {
			continue
		}
		if g.pkg.Types.Scope().Lookup(name) != nil {
			g.f.ImportAlias(path, name+"pkg")
		} else {
			g.f.ImportName(path, name)
		}
	}
}

// packagesOf adds the packages named in type t to paths.
func packagesOf(t types.Type, paths map[string]string) {
	switch t := types.Unalias(t).(type) {
	case *types.Named:
		if p := t.Obj().Pkg(); p != nil {
			paths[p.Path()] = p.Name()
		}
		for a := range t.TypeArgs().Types() {
			packagesOf(a, paths)
		}
	case *types.Pointer:
		packagesOf(t.Elem(), paths)
	case *types.Slice:
		packagesOf(t.Elem(), paths)
	case *types.Array:
		packagesOf(t.Elem(), paths)
	case *types.Map:
		packagesOf(t.Key(), paths)
		packagesOf(t.Elem(), paths)
	}
}

// names emits the constants that hold the task names: one declaration for a
// single task, else one block.
func (g *generator) names() {
	doc := func(t *scan.Task) string {
		return fmt.Sprintf("%s is the name stored with each queued %s task.", t.NameConst(), t.Func)
	}
	if len(g.pkg.Tasks) == 1 {
		t := g.pkg.Tasks[0]
		g.f.Comment(doc(t))
		g.f.Const().Id(t.NameConst()).Op("=").Lit(t.Name)
		g.f.Line()
		return
	}
	var defs []jen.Code
	for i, t := range g.pkg.Tasks {
		if i > 0 {
			defs = append(defs, jen.Line())
		}
		defs = append(defs, jen.Comment(doc(t)), jen.Id(t.NameConst()).Op("=").Lit(t.Name))
	}
	g.f.Comment("The names of the package's tasks. Each queued task carries its name, by")
	g.f.Comment("which a worker finds the function to run.")
	g.f.Const().Defs(defs...)
	g.f.Line()
}

// task emits the definition and Enqueue function of t, and the type carrying
// its parameters if it has plain ones.
func (g *generator) task(t *scan.Task) {
	params := paramNames(t)
	spec := jen.Qual(RuntimePath, "TaskSpec").Values(g.spec(t)...)
	ctxName, argName := pick(t.Func, "ctx", "c"), pick(t.Func, "p", "params")
	ctxParam := jen.Id(ctxName).Qual("context", "Context")

	var def, arg jen.Code
	switch {
	case t.Struct:
		typ := typeCode(t.Params[0].Type)
		def = jen.Qual(RuntimePath, "NewTask").Types(typ).Call(spec, jen.Id(t.Func))
		arg = jen.Id(params[0])
	case len(t.Params) == 0:
		def = jen.Qual(RuntimePath, "NewTask").Call(spec, jen.Func().Params(ctxParam, jen.Id("_").Qual(RuntimePath, "NoArgs")).Error().Block(
			jen.Return(jen.Id(t.Func).Call(jen.Id(ctxName))),
		))
		arg = jen.Qual(RuntimePath, "NoArgs").Values()
	default:
		call := []jen.Code{jen.Id(ctxName)}
		var values []jen.Code
		for _, name := range params {
			call = append(call, jen.Id(argName).Dot(name))
			values = append(values, jen.Id(name).Op(":").Id(name))
		}
		def = jen.Qual(RuntimePath, "NewTask").Call(spec, jen.Func().Params(ctxParam, jen.Id(argName).Id(t.ParamsType())).Error().Block(
			jen.Return(jen.Id(t.Func).Call(call...)),
		))
		arg = jen.Id(t.ParamsType()).Values(values...)
	}

	g.f.Commentf("%s is the task declared by %s in %s.", t.VarName(), t.Func, t.File)
	g.f.Var().Id(t.VarName()).Op("=").Add(def)
	g.f.Line()

	for _, line := range stubDoc(t) {
		g.f.Comment(line)
	}
	sig := []jen.Code{jen.Id("ctx").Qual("context", "Context"), jen.Id("e").Qual(RuntimePath, "Enqueuer")}
	for i, p := range t.Params {
		sig = append(sig, jen.Id(params[i]).Add(typeCode(p.Type)))
	}
	sig = append(sig, jen.Id("opts").Op("...").Qual(RuntimePath, "EnqueueOption"))
	g.f.Func().Id(t.StubName()).Params(sig...).Params(jen.Qual(RuntimePath, "TaskID"), jen.Error()).Block(
		jen.Return(jen.Id(t.VarName()).Dot("Enqueue").Call(jen.Id("ctx"), jen.Id("e"), arg, jen.Id("opts").Op("..."))),
	)
	g.f.Line()

	if t.ParamsType() != "" {
		g.params(t, params)
	}
}

// stubDoc returns the doc comment of t's Enqueue function, one line per
// element: it shows the call the worker will make.
func stubDoc(t *scan.Task) []string {
	call := append([]string{"ctx"}, paramNames(t)...)
	first := fmt.Sprintf("%s enqueues %s(%s)", t.StubName(), t.Func, strings.Join(call, ", "))
	if t.Options.Public {
		first += ", which runs without a tenant, in the shared schema."
	} else {
		first += " for the tenant in ctx."
	}
	return []string{first, "Options in opts override those of its //tenant:task directive."}
}

// params emits the type that carries t's plain parameters and its JSON
// methods, which encode them as an array in parameter order.
func (g *generator) params(t *scan.Task, names []string) {
	typ := t.ParamsType()
	var fields, values, ptrs []jen.Code
	for i, p := range t.Params {
		fields = append(fields, jen.Id(names[i]).Add(typeCode(p.Type)))
		values = append(values, jen.Id("p").Dot(names[i]))
		ptrs = append(ptrs, jen.Op("&").Id("p").Dot(names[i]))
	}
	g.f.Commentf("%s holds the parameters of %s. They are encoded as a JSON", typ, t.Func)
	g.f.Comment("array in parameter order: renaming a parameter is safe, reordering them")
	g.f.Comment("breaks tasks already queued.")
	g.f.Type().Id(typ).Struct(fields...)
	g.f.Line()
	g.f.Comment("MarshalJSON encodes the parameters as a JSON array.")
	g.f.Func().Params(jen.Id("p").Id(typ)).Id("MarshalJSON").Params().Params(jen.Index().Byte(), jen.Error()).Block(
		jen.Return(jen.Qual(RuntimePath, "MarshalParams").Call(values...)),
	)
	g.f.Line()
	g.f.Comment("UnmarshalJSON decodes the parameters from a JSON array.")
	g.f.Func().Params(jen.Id("p").Op("*").Id(typ)).Id("UnmarshalJSON").Params(jen.Id("data").Index().Byte()).Error().Block(
		jen.Return(jen.Qual(RuntimePath, "UnmarshalParams").Call(append([]jen.Code{jen.Id("data")}, ptrs...)...)),
	)
	g.f.Line()
}

// spec returns the fields of t's runtime.TaskSpec, one per line in
// declaration order, leaving out those the directive did not set.
func (g *generator) spec(t *scan.Task) []jen.Code {
	o := t.Options
	var fields []jen.Code
	field := func(name string, value jen.Code) {
		fields = append(fields, jen.Line().Id(name).Op(":").Add(value))
	}
	field("Name", jen.Id(t.NameConst()))
	if o.Queue != "" {
		field("Queue", jen.Lit(o.Queue))
	}
	switch {
	case o.RetriesSet && o.Retries == 0:
		field("Retries", jen.Qual(RuntimePath, "NoRetries"))
	case o.RetriesSet:
		field("Retries", jen.Lit(o.Retries))
	}
	if o.Timeout > 0 {
		field("Timeout", duration(o.Timeout))
	}
	switch {
	case o.CacheSet && o.Cache == 0:
		field("Cache", jen.Qual(RuntimePath, "NoCache"))
	case o.CacheSet:
		field("Cache", duration(o.Cache))
	}
	if len(o.DBs) > 0 {
		var list []jen.Code
		for _, db := range o.DBs {
			list = append(list, jen.Lit(db))
		}
		field("DBs", jen.Index().String().Values(list...))
	}
	if o.Unique > 0 {
		field("Unique", duration(o.Unique))
	}
	if o.Public {
		field("Public", jen.True())
	}
	if o.TenantConcurrency > 0 {
		field("TenantConcurrency", jen.Lit(o.TenantConcurrency))
	}
	if r := o.TenantRate; r.Starts > 0 {
		field("TenantRate", jen.Qual(RuntimePath, "Rate").Values(
			jen.Id("Starts").Op(":").Lit(r.Starts),
			jen.Id("Per").Op(":").Add(duration(r.Per)),
		))
	}
	if o.Cron != "" {
		field("Cron", jen.Lit(o.Cron))
	}
	return append(fields, jen.Line())
}

// register emits RegisterTasks.
func (g *generator) register() {
	var list []jen.Code
	var names []string
	for _, t := range g.pkg.Tasks {
		list = append(list, jen.Line().Id(t.VarName()))
		names = append(names, t.Func)
	}
	list = append(list, jen.Line())
	if len(names) <= 4 {
		g.f.Commentf("%s registers the tasks of package %s with r: %s.", scan.RegisterFunc, g.pkg.Name, listWords(names))
	} else {
		g.f.Commentf("%s registers the %d tasks of package %s with r.", scan.RegisterFunc, len(names), g.pkg.Name)
	}
	g.f.Func().Id(scan.RegisterFunc).Params(jen.Id("r").Op("*").Qual(RuntimePath, "Registry")).Error().Block(
		jen.Return(jen.Id("r").Dot("Register").Call(list...)),
	)
}

// listWords joins words as English: "a", "a and b", "a, b and c".
func listWords(words []string) string {
	if len(words) == 1 {
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// duration returns d as a readable constant expression: 30 * time.Second,
// time.Minute, 1500 * time.Millisecond.
func duration(d time.Duration) jen.Code {
	units := []struct {
		name string
		d    time.Duration
	}{
		{"Hour", time.Hour}, {"Minute", time.Minute}, {"Second", time.Second},
		{"Millisecond", time.Millisecond}, {"Microsecond", time.Microsecond}, {"Nanosecond", time.Nanosecond},
	}
	for _, u := range units {
		if d%u.d == 0 {
			if d == u.d {
				return jen.Qual("time", u.name)
			}
			return jen.Lit(int(d/u.d)).Op("*").Qual("time", u.name)
		}
	}
	panic("unreachable")
}

// paramNames returns the names the generated code uses for t's parameters:
// the declared ones, with blank or clashing names replaced.
func paramNames(t *scan.Task) []string {
	taken := map[string]bool{"ctx": true, "e": true, "opts": true, t.VarName(): true, t.ParamsType(): true}
	names := make([]string, len(t.Params))
	for i, p := range t.Params {
		name := p.Name
		if name == "" || name == "_" {
			name = "arg" + strconv.Itoa(i+1)
			if t.Struct {
				name = "args"
			}
		}
		for base, n := name, 2; taken[name]; n++ {
			name = base + strconv.Itoa(n)
		}
		taken[name] = true
		names[i] = name
	}
	return names
}

// pick returns the first of names that is not avoid.
func pick(avoid string, names ...string) string {
	for _, n := range names {
		if n != avoid {
			return n
		}
	}
	return names[len(names)-1] + "_"
}

// typeCode spells type t. scan has checked that t can be spelled.
func typeCode(t types.Type) jen.Code {
	switch t := types.Unalias(t).(type) {
	case *types.Basic:
		return jen.Id(t.Name())
	case *types.Named:
		obj := t.Obj()
		var c *jen.Statement
		if obj.Pkg() == nil {
			c = jen.Id(obj.Name())
		} else {
			c = jen.Qual(obj.Pkg().Path(), obj.Name())
		}
		if t.TypeArgs().Len() > 0 {
			var args []jen.Code
			for a := range t.TypeArgs().Types() {
				args = append(args, typeCode(a))
			}
			c = c.Types(args...)
		}
		return c
	case *types.Pointer:
		return jen.Op("*").Add(typeCode(t.Elem()))
	case *types.Slice:
		return jen.Index().Add(typeCode(t.Elem()))
	case *types.Array:
		return jen.Index(jen.Lit(int(t.Len()))).Add(typeCode(t.Elem()))
	case *types.Map:
		return jen.Map(typeCode(t.Key())).Add(typeCode(t.Elem()))
	}
	panic(fmt.Sprintf("codegen: cannot spell type %s", t))
}
