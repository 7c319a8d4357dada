// Package scan loads Go packages, finds their //tenant:task directives and
// checks the annotated functions, producing a description of each task for
// the code generator.
//
// Scan type-checks the packages once, with function bodies dropped (they
// cannot change a signature) and tenantgen's own previous output ignored, so
// that a stale generated file never hides or causes a problem. Unrelated type
// errors in a package do not stop it; syntax errors and invalid types in a
// task's signature do.
//
// It owns loading and checking; it must not write files (package codegen
// renders them), and the runtime must not import it.
package scan
