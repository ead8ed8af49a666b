package check

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
)

// This file decodes JSON keeping the order of object keys, for the
// correctness diff (diff.go).

// object is a JSON object with its keys in the order they came.
type object struct {
	keys []string
	vals map[string]any
}

// maxDepth bounds the nesting decodeOrdered accepts, as encoding/json does.
const maxDepth = 10000

// decodeOrdered decodes one JSON value from d, objects as *object (keys in
// order), numbers as json.Number.
func decodeOrdered(d *json.Decoder, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("exceeded max depth")
	}
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return tok, nil // string, json.Number, bool or nil
	}
	switch delim {
	case '[':
		arr := []any{}
		for d.More() {
			v, err := decodeOrdered(d, depth+1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		_, err := d.Token()
		return arr, err
	case '{':
		o := &object{vals: map[string]any{}}
		for d.More() {
			kt, err := d.Token()
			if err != nil {
				return nil, err
			}
			k, _ := kt.(string)
			v, err := decodeOrdered(d, depth+1)
			if err != nil {
				return nil, err
			}
			if _, dup := o.vals[k]; !dup {
				o.keys = append(o.keys, k)
			}
			o.vals[k] = v
		}
		_, err := d.Token()
		return o, err
	}
	return nil, fmt.Errorf("unexpected %v", delim)
}

// parseOrdered decodes b, which must be one JSON value.
func parseOrdered(b []byte) (any, error) {
	if !json.Valid(b) {
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			return nil, err
		}
		return nil, errors.New("invalid JSON")
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return decodeOrdered(d, 0)
}

// asObject returns v as an *object: a map's keys, which have no order of
// their own, come sorted.
func asObject(v any) (*object, bool) {
	switch o := v.(type) {
	case *object:
		return o, true
	case map[string]any:
		keys := make([]string, 0, len(o))
		for k := range o {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return &object{keys: keys, vals: o}, true
	}
	return nil, false
}

// field returns the value of key k of v, if v is an object that has it.
func field(v any, k string) (any, bool) {
	switch o := v.(type) {
	case *object:
		x, ok := o.vals[k]
		return x, ok
	case map[string]any:
		x, ok := o[k]
		return x, ok
	}
	return nil, false
}

// MarshalJSON writes o with its keys in order, without HTML escapes.
func (o *object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := e.Encode(k); err != nil {
			return nil, err
		}
		b.Truncate(b.Len() - 1) // Encode's newline
		b.WriteByte(':')
		if err := e.Encode(o.vals[k]); err != nil {
			return nil, err
		}
		b.Truncate(b.Len() - 1)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
