// Package names holds the rules for the names that tasks carry: task
// names, queue names, database aliases, tenant IDs and schema names. The
// generator checks them at generate time and the runtime checks them again
// at registration, so both share this one definition.
//
// It owns those rules and nothing else: it must not import the generator's
// packages or the runtime, since both import it, and it depends on the
// standard library alone.
package names
