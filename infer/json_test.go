package infer_test

import (
	"bytes"
	"encoding/json"
)

func jsonCompact(dst *bytes.Buffer, b []byte) error { return json.Compact(dst, b) }
