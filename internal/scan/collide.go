package scan

import "fmt"

// collisions reports generated identifiers that would clash with each other
// or with the package's own declarations.
func (s *scanner) collisions(pkg *Package) {
	if len(pkg.Tasks) == 0 {
		return
	}
	scope := pkg.Types.Scope()
	if obj := scope.Lookup(RegisterFunc); obj != nil {
		s.errorf(obj.Pos(), "%s is declared here, but tenantgen generates %s for the tasks of package %s; rename this one", RegisterFunc, RegisterFunc, pkg.Name)
	}
	owners := make(map[string]*Task)
	var kept []*Task
	for _, t := range pkg.Tasks {
		clash := false
		for _, id := range []string{t.NameConst(), t.StubName(), t.VarName(), t.ParamsType()} {
			if id == "" {
				continue
			}
			if obj := scope.Lookup(id); obj != nil {
				e := s.errorf(obj.Pos(), "%s is declared here, but tenantgen generates %s for task function %s; rename this one", id, id, t.Func)
				e.Related = []Note{{Pos: t.Pos, Msg: fmt.Sprintf("task function %s", t.Func)}}
				clash = true
			}
			if prev := owners[id]; prev != nil {
				e := &Error{Pos: t.Pos, Msg: fmt.Sprintf("task functions %s and %s would both generate %s; rename one of them", prev.Func, t.Func, id),
					Related: []Note{{Pos: prev.Pos, Msg: fmt.Sprintf("%s declared here", prev.Func)}}}
				s.errs = append(s.errs, e)
				clash = true
			}
			owners[id] = t
		}
		if !clash {
			kept = append(kept, t)
		}
	}
	pkg.Tasks = kept
}
