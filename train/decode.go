package train

import (
	"fmt"
	"reflect"

	"gopkg.in/yaml.v3"
)

// DecodeYAML decodes the YAML node n into dst strictly, as ReadYAML decodes
// a config file: dst points to a struct whose fields carry yaml tags (such
// as a Config), or to a string, number, boolean, list or map. An unknown
// key, a key given twice or a value of the wrong type is a *ConfigError
// naming file, the line and the dotted key below key ("" at the top, so
// that key "base" gives "base.train.epochs"). Files that embed a training
// config, such as sweep files, read it and their own sections with it.
func DecodeYAML(n *yaml.Node, dst any, key, file string) error {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		panic(fmt.Sprintf("train: DecodeYAML into %T: want a non-nil pointer", dst))
	}
	return decodeNode(n, v.Elem(), key, file)
}
