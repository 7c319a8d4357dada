package queue

import (
	"errors"
	"strings"
)

// Permanent wraps err so that the task fails without further retries and
// goes to the dead letter set. It returns nil for a nil err.
// runtime.Permanent is this function; the worker tests for it with
// IsPermanent, so that one type marks permanent errors.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return "permanent: " + e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// isNoGroup reports whether err is Redis's reply for a stream without the
// consumer group.
func isNoGroup(err error) bool { return err != nil && strings.HasPrefix(err.Error(), "NOGROUP") }

// isBusyGroup reports whether err is Redis's reply to creating a consumer
// group that exists.
func isBusyGroup(err error) bool { return err != nil && strings.HasPrefix(err.Error(), "BUSYGROUP") }
