// Package cronspec parses the cron specs of periodic tasks. The generator
// checks //tenant:task cron= options with it and the runtime's scheduler
// parses entries with it, so that both accept exactly the same specs.
//
// It owns the accepted syntax (five fields, descriptors, CRON_TZ=) over
// robfig/cron's parser; it must not import the generator's packages or the
// runtime, since both import it.
package cronspec
