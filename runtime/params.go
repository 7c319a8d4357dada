package runtime

import (
	"encoding/json"
	"fmt"
)

// NoArgs is the argument type of tasks whose function takes only a context.
// It is encoded as an empty JSON array, like any other parameter list.
type NoArgs struct{}

// MarshalJSON encodes NoArgs as [].
func (NoArgs) MarshalJSON() ([]byte, error) { return []byte("[]"), nil }

// UnmarshalJSON accepts only an empty parameter list.
func (*NoArgs) UnmarshalJSON(data []byte) error { return UnmarshalParams(data) }

// MarshalParams encodes a task's parameters as a JSON array, in parameter
// order. Generated code uses it for functions with plain parameters, so a
// queued task depends on the order of the parameters but not on their names.
func MarshalParams(params ...any) ([]byte, error) {
	if params == nil {
		params = []any{} // encode no parameters as [], not null
	}
	return json.Marshal(params)
}

// UnmarshalParams decodes a JSON array made by MarshalParams into the
// pointers in params, in order. The array must have exactly len(params)
// elements.
func UnmarshalParams(data []byte, params ...any) error {
	var list []json.RawMessage
	if err := json.Unmarshal(data, &list); err != nil {
		return fmt.Errorf("decode parameter list: %w", err)
	}
	if len(list) != len(params) {
		return fmt.Errorf("decode parameter list: got %d parameters, want %d", len(list), len(params))
	}
	for i, raw := range list {
		if err := json.Unmarshal(raw, params[i]); err != nil {
			return fmt.Errorf("decode parameter %d: %w", i+1, err)
		}
	}
	return nil
}
