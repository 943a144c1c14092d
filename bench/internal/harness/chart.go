package harness

import (
	"image/color"
	"math"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Series is one implementation's bars across the groups of a chart.
type Series struct {
	Name string
	Vals []float64 // one per group; NaN (no run counted) draws no bar and no label
}

// Palette gives impls the colors of every harness's charts, in order:
// blue and cyan (for weft's two implementations), grey (for the plain-Go
// baseline), orange (for the rival); the colors repeat after four.
func Palette(impls ...string) map[string]color.Color {
	colors := []color.Color{
		color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
		color.RGBA{R: 0x17, G: 0xbe, B: 0xcf, A: 0xff},
		color.RGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff},
		color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
	}
	m := map[string]color.Color{}
	for i, impl := range impls {
		m[impl] = colors[i%len(colors)]
	}
	return m
}

// SeriesOf is a chart's bars of metric key: a series per implementation
// in impls, with a bar per section in groups (its median, NaN if none).
func SeriesOf[S any, R Run](impls []string, groups []*Section[S, R], key string) []Series {
	var ss []Series
	for _, impl := range impls {
		s := Series{Name: impl}
		for _, g := range groups {
			s.Vals = append(s.Vals, g.Med(impl, key))
		}
		ss = append(ss, s)
	}
	return ss
}

// Style is how a harness's bar charts look.
type Style struct {
	Colors   map[string]color.Color // by implementation: the same in every chart
	Group    vg.Length              // the width of a group of bars, shared among them
	Solo     vg.Length              // the width of each bar where the chart has one group
	Headroom float64                // the y axis's top over the highest bar: room for the labels and, above the bars, the legend
}

// Bars makes a bar chart with a group of bars per label in groups, one
// bar per series in each, and each bar's value written above it with
// format.
func (st Style) Bars(title, ylabel string, groups []string, ss []Series, format func(float64) string) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	p.Y.Min = 0
	p.Legend.Top = true
	p.Legend.Left = false
	p.Legend.XOffs = -4
	width := st.Group / vg.Length(max(len(ss), 1))
	if len(groups) == 1 {
		width = st.Solo
	}
	ymax := 0.0
	for i, s := range ss {
		vals := make(plotter.Values, len(s.Vals))
		for j, v := range s.Vals {
			if math.IsNaN(v) {
				v = 0
			}
			vals[j] = v
			ymax = math.Max(ymax, v)
		}
		bc, err := plotter.NewBarChart(vals, width)
		if err != nil {
			return nil, err
		}
		bc.Offset = vg.Length(float64(i)-float64(len(ss)-1)/2) * width
		bc.LineStyle.Width = 0
		if c, ok := st.Colors[s.Name]; ok {
			bc.Color = c
		}
		p.Add(bc)
		p.Legend.Add(s.Name, bc)

		xys := make(plotter.XYs, len(s.Vals))
		labels := make([]string, len(s.Vals))
		for j, v := range s.Vals {
			xys[j] = plotter.XY{X: float64(j), Y: vals[j]}
			if !math.IsNaN(v) {
				labels[j] = format(v)
			}
		}
		lb, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
		if err != nil {
			return nil, err
		}
		for k := range lb.TextStyle {
			lb.TextStyle[k].XAlign = text.XCenter
			lb.TextStyle[k].Font.Size = vg.Points(7)
		}
		lb.Offset = vg.Point{X: bc.Offset, Y: vg.Points(2)}
		p.Add(lb)
	}
	if ymax == 0 {
		ymax = 1 // no bar: an axis from 0 to 0 would be no axis
	}
	p.Y.Max = ymax * st.Headroom
	p.NominalX(groups...)
	return p, nil
}

// SaveRow draws plots side by side into one PNG of w by h.
func SaveRow(file string, w, h vg.Length, ps ...*plot.Plot) error {
	img := vgimg.New(w, h)
	dc := draw.New(img)
	t := draw.Tiles{Rows: 1, Cols: len(ps), PadX: vg.Millimeter * 4, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	cs := plot.Align([][]*plot.Plot{ps}, t, dc)
	for i, p := range ps {
		p.Draw(cs[0][i])
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
