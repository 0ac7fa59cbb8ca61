package deploy_test

import (
	"regexp"
	"strings"
)

// promqlUse is what an expression asks of the metrics it reads: their
// names and the labels it matches or groups by.
type promqlUse struct {
	metrics []string
	// selectorLabels are the labels each metric's {…} matches, by metric.
	selectorLabels map[string][]string
	// groupLabels are the labels of by (…), on (…) and the like: every
	// metric of the expression must have them.
	groupLabels []string
}

var (
	promString   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`)
	promVariable = regexp.MustCompile(`\$\{?\w+\}?`)
	promRange    = regexp.MustCompile(`\[[^\]]*\]`)
	promGrouping = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)`)
	promSelector = regexp.MustCompile(`([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*\{([^}]*)\}`)
	promMatcher  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)`)
	promIdent    = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*(\s*\()?`)
)

// promKeywords are PromQL words that are not metric names.
var promKeywords = map[string]bool{
	"and": true, "or": true, "unless": true, "offset": true, "bool": true, "inf": true, "nan": true,
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
}

// parsePromQL reads the metric names and labels an expression uses. It
// knows enough PromQL for dashboards: selectors, ranges, grouping,
// functions, operators and Grafana's $variables.
func parsePromQL(expr string) promqlUse {
	use := promqlUse{selectorLabels: map[string][]string{}}
	// Matcher values and variables hold no names; blank them first, so
	// that "{route=~\"$route\"}" reads as {route=~""}.
	expr = promString.ReplaceAllString(expr, `""`)
	expr = promVariable.ReplaceAllString(expr, "")
	expr = promRange.ReplaceAllString(expr, "")
	expr = promGrouping.ReplaceAllStringFunc(expr, func(g string) string {
		for _, l := range strings.Split(promGrouping.FindStringSubmatch(g)[2], ",") {
			if l = strings.TrimSpace(l); l != "" {
				use.groupLabels = append(use.groupLabels, l)
			}
		}
		return " "
	})
	expr = promSelector.ReplaceAllStringFunc(expr, func(sel string) string {
		m := promSelector.FindStringSubmatch(sel)
		for _, lm := range promMatcher.FindAllStringSubmatch(m[2], -1) {
			if lm[1] == "__name__" {
				continue
			}
			use.selectorLabels[m[1]] = append(use.selectorLabels[m[1]], lm[1])
		}
		return " " + m[1] + " "
	})
	for _, id := range promIdent.FindAllStringSubmatch(expr, -1) {
		if id[1] != "" || promKeywords[strings.ToLower(id[0])] {
			continue // a function call, or a keyword
		}
		use.metrics = append(use.metrics, id[0])
	}
	return use
}

// labelValuesQuery reads Grafana's label_values(metric, label) variable
// query.
var labelValuesQuery = regexp.MustCompile(`^label_values\(\s*([^,]+?)\s*,\s*(\w+)\s*\)$`)
