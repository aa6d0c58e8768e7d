/* gcmon diagnose --html: one self-contained HTML file, readable offline and
 * attachable to a bug: a summary, then per pool an inline SVG chart of
 * used / free / largest-free over time (the watermark band, collection
 * markers and alarm spans when the input has them) and the pool's verdicts.
 * No script, no external resource; inline styles only. Long series are
 * reduced to the minimum and maximum per pixel column, so a spike of one
 * sample still shows and a million rows make a small file. */
#include "diagnose_report.h"
#include "units.h"

#include "gcmon/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CHART_W 880
#define CHART_H 240
#define PAD_L   78
#define PAD_R   12
#define PAD_T   12
#define PAD_B   34
#define PLOT_W  (CHART_W - PAD_L - PAD_R)
#define PLOT_H  (CHART_H - PAD_T - PAD_B)
#define X_TICKS 6
#define Y_TICKS 4

static const char *const series_color[3] = {"#c0392b", "#2471a3", "#1e8449"};
static const char *const series_name[3] = {"used", "free", "largest free"};

typedef struct {
  FILE *f;
  double t0, t1, ymax;
} chart;

static void escape(FILE *f, const char *s) {
  for (; *s; s++) {
    switch (*s) {
    case '<':
      fputs("&lt;", f);
      break;
    case '>':
      fputs("&gt;", f);
      break;
    case '&':
      fputs("&amp;", f);
      break;
    case '"':
      fputs("&quot;", f);
      break;
    default:
      fputc(*s, f);
    }
  }
}

static double px(const chart *c, double t) {
  double span = c->t1 - c->t0;
  return PAD_L + (span > 0 ? (t - c->t0) / span : 0) * PLOT_W;
}

static double py(const chart *c, double v) {
  return PAD_T + PLOT_H - (c->ymax > 0 ? v / c->ymax : 0) * PLOT_H;
}

/* The column of row i. */
static size_t column(const chart *c, const dg_model *m, size_t i) {
  double x = px(c, m->t[i]) - PAD_L;
  size_t k = x <= 0 ? 0 : (size_t)x;
  return k >= PLOT_W ? PLOT_W - 1 : k;
}

/* Per pixel column: min and max of v (NaN where the column has no row). */
static void reduce(const chart *c, const dg_model *m, const double *v,
                   double *lo, double *hi) {
  for (size_t k = 0; k < PLOT_W; k++)
    lo[k] = hi[k] = DG_NAN;
  for (size_t i = 0; i < m->n; i++) {
    size_t k = column(c, m, i);
    if (isnan(v[i]))
      continue;
    if (isnan(lo[k]) || v[i] < lo[k])
      lo[k] = v[i];
    if (isnan(hi[k]) || v[i] > hi[k])
      hi[k] = v[i];
  }
}

static void polyline(const chart *c, const double *v, const dg_model *m,
                     const char *color, const char *dash) {
  double lo[PLOT_W], hi[PLOT_W];
  bool open = false;

  reduce(c, m, v, lo, hi);
  for (size_t k = 0; k < PLOT_W; k++) {
    if (isnan(lo[k]))
      continue;
    if (!open)
      fprintf(c->f,
              "<polyline fill=\"none\" stroke=\"%s\" "
              "stroke-width=\"1.4\"%s%s%s points=\"",
              color, dash ? " stroke-dasharray=\"" : "", dash ? dash : "",
              dash ? "\"" : "");
    open = true;
    fprintf(c->f, "%zu,%.1f %zu,%.1f ", PAD_L + k, py(c, lo[k]), PAD_L + k,
            py(c, hi[k]));
  }
  if (open)
    fputs("\"/>\n", c->f);
}

/* The band between the lowest free a watermark saw and the sampled free. */
static void watermark_band(const chart *c, const dg_model *m,
                           const dg_pool *pl) {
  double lo[PLOT_W], hi[PLOT_W], flo[PLOT_W], fhi[PLOT_W];

  reduce(c, m, pl->wm_min_free, lo, hi);
  reduce(c, m, pl->free, flo, fhi);
  fputs("<polygon fill=\"#2471a3\" fill-opacity=\"0.18\" stroke=\"none\" "
        "points=\"",
        c->f);
  for (size_t k = 0; k < PLOT_W; k++)
    if (!isnan(lo[k]) && !isnan(fhi[k]))
      fprintf(c->f, "%zu,%.1f ", PAD_L + k, py(c, fhi[k]));
  for (size_t k = PLOT_W; k-- > 0;)
    if (!isnan(lo[k]) && !isnan(fhi[k]))
      fprintf(c->f, "%zu,%.1f ", PAD_L + k, py(c, lo[k]));
  fputs("\"/>\n", c->f);
}

static void collection_marks(const chart *c, const dg_model *m) {
  bool mark[PLOT_W] = {false};
  double y = PAD_T + PLOT_H;

  for (size_t i = 1; m->collections && i < m->n; i++)
    if (m->collections[i] > m->collections[i - 1])
      mark[column(c, m, i)] = true;
  for (size_t i = 0; i < m->ncoll; i++) {
    double x = px(c, m->coll[i].t) - PAD_L;
    if (x >= 0 && x < PLOT_W)
      mark[(size_t)x] = true;
  }
  fputs("<g stroke=\"#7d3c98\" stroke-width=\"1\">", c->f);
  for (size_t k = 0; k < PLOT_W; k++)
    if (mark[k])
      fprintf(c->f, "<line x1=\"%zu\" y1=\"%.0f\" x2=\"%zu\" y2=\"%.0f\"/>",
              PAD_L + k, y, PAD_L + k, y - 6);
  fputs("</g>\n", c->f);
}

static void alarm_spans(const chart *c, const dg_model *m) {
  for (size_t i = 0; i < m->nalarm; i++) {
    double a = px(c, m->alarm[i].t0);
    double b = px(c, isnan(m->alarm[i].t1) ? c->t1 : m->alarm[i].t1);
    fprintf(c->f,
            "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
            "fill=\"#e67e22\" fill-opacity=\"0.22\"><title>alarm %u"
            "</title></rect>\n",
            a, PAD_T, fmax(b - a, 1), PLOT_H, m->alarm[i].alarm);
  }
}

static void time_label(double s, double span, char *out, size_t len) {
  if (span < 30)
    snprintf(out, len, "%.1f s", s);
  else if (s < 120)
    snprintf(out, len, "%.0f s", s);
  else if (s < 7200)
    snprintf(out, len, "%.0f min", s / 60);
  else
    snprintf(out, len, "%.1f h", s / 3600);
}

static void axes(const chart *c) {
  char b[32];

  fprintf(c->f,
          "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fbfcfc\" "
          "stroke=\"#aab7b8\"/>\n",
          PAD_L, PAD_T, PLOT_W, PLOT_H);
  for (int i = 0; i <= Y_TICKS; i++) {
    double v = c->ymax * i / Y_TICKS;
    units_format_bytes((uint64_t)v, b, sizeof b);
    fprintf(c->f,
            "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
            "stroke=\"#e5e8e8\"/><text x=\"%d\" y=\"%.1f\" font-size=\"11\" "
            "text-anchor=\"end\">%s</text>\n",
            PAD_L, py(c, v), PAD_L + PLOT_W, py(c, v), PAD_L - 4, py(c, v) + 4,
            b);
  }
  for (int i = 0; i <= X_TICKS; i++) {
    double t = c->t0 + (c->t1 - c->t0) * i / X_TICKS;
    time_label(t - c->t0, c->t1 - c->t0, b, sizeof b);
    fprintf(c->f,
            "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" "
            "text-anchor=\"%s\">%s</text>\n",
            px(c, t), PAD_T + PLOT_H + 16, i == X_TICKS ? "end" : "middle", b);
  }
}

static void legend(FILE *f, const dg_pool *pl, bool marks, bool alarms) {
  fputs("<p style=\"font-size:12px;margin:2px 0 8px 0\">", f);
  for (int s = 0; s < 3; s++) {
    const double *v = s == 0 ? pl->used : s == 1 ? pl->free : pl->largest;
    if (v)
      fprintf(f, "<span style=\"color:%s\">&#9644; %s</span> &nbsp; ",
              series_color[s], series_name[s]);
  }
  if (pl->wm_min_free)
    fputs("<span style=\"color:#2471a3;opacity:.5\">&#9632; lowest free "
          "(watermark)</span> &nbsp; ",
          f);
  if (marks)
    fputs("<span style=\"color:#7d3c98\">| collection</span> &nbsp; ", f);
  if (alarms)
    fputs("<span style=\"color:#e67e22\">&#9632; alarm active</span>", f);
  fputs("</p>\n", f);
}

static double column_max(const dg_model *m, const double *v) {
  double mx = 0;
  for (size_t i = 0; v && i < m->n; i++)
    if (v[i] > mx)
      mx = v[i];
  return mx;
}

static void pool_chart(FILE *f, const dg_model *m, int p) {
  const dg_pool *pl = &m->pool[p];
  chart c = {f, m->t[0], m->t[m->n - 1], pl->total};
  double mx = fmax(column_max(m, pl->used), column_max(m, pl->free));
  bool marks = p == DG_GC && (m->collections || m->ncoll);

  if (!(c.ymax >= mx))
    c.ymax = mx;
  if (c.ymax <= 0)
    c.ymax = 1;
  fprintf(f,
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
          "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
          "font-family=\"sans-serif\">\n",
          CHART_W, CHART_H, CHART_W, CHART_H);
  axes(&c);
  alarm_spans(&c, m);
  if (pl->wm_min_free && pl->free) {
    watermark_band(&c, m, pl);
    polyline(&c, pl->wm_min_free, m, "#85c1e9", NULL);
  }
  if (pl->used)
    polyline(&c, pl->used, m, series_color[0], NULL);
  if (pl->free)
    polyline(&c, pl->free, m, series_color[1], NULL);
  if (pl->largest)
    polyline(&c, pl->largest, m, series_color[2], "4 2");
  if (marks)
    collection_marks(&c, m);
  fputs("</svg>\n", f);
  legend(f, pl, marks, m->nalarm > 0);
}

static void verdict_table(FILE *f, const dg_verdict *v, int p) {
  char line[256];

  fputs("<table style=\"border-collapse:collapse;font-size:13px;margin-bottom"
        ":18px\">\n",
        f);
  for (int c = 0; c < DG_CHECKS; c++) {
    dg_state st = dg_check_state(v, p, c);
    if (c == DG_CHECK_PAUSES && p != DG_GC)
      continue;
    dg_summary(v, p, c, line, sizeof line);
    fprintf(f,
            "<tr style=\"background:%s\"><td style=\"padding:3px 10px;"
            "font-weight:bold\">%s</td><td style=\"padding:3px 10px\">",
            st == DG_FINDING ? "#fadbd8"
            : st == DG_OK    ? "#e9f7ef"
                             : "#f4f6f6",
            dg_check_names[c]);
    escape(f, line);
    fputs("</td></tr>\n", f);
  }
  fputs("</table>\n", f);
}

int dg_write_html(FILE *f, const dg_model *m, const dg_report *r,
                  const char *input) {
  char dur[32];

  units_format_duration_us((uint64_t)llround(r->duration_s * 1e6), dur,
                           sizeof dur);
  fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>gcmon diagnose: ",
        f);
  escape(f, input);
  fputs("</title></head>\n<body style=\"font-family:sans-serif;margin:20px;"
        "color:#17202a;background:#ffffff\">\n<h1 style=\"font-size:20px\">"
        "gcmon diagnose</h1>\n<p>",
        f);
  escape(f, input);
  fprintf(f, ": %zu samples over %s. <b style=\"color:%s\">%s</b></p>\n",
          r->samples, dur, r->findings ? "#c0392b" : "#1e8449",
          r->findings ? "Findings" : "Healthy");
  if (r->findings)
    fprintf(f, "<p>%zu finding%s (red rows below).</p>\n", r->findings,
            r->findings == 1 ? "" : "s");
  for (int p = 0; p < DG_POOLS; p++) {
    if (!r->pool[p].present || m->n < 2)
      continue;
    fprintf(f, "<h2 style=\"font-size:16px;margin:16px 0 4px 0\">%s</h2>\n",
            dg_pool_labels[p]);
    pool_chart(f, m, p);
    verdict_table(f, &r->pool[p], p);
  }
  fputs("<p style=\"font-size:11px;color:#566573\">Leak: least squares on "
        "the post-collection (gc) or per-window (system pools) minima, 99.9% "
        "lower bound. Fragmentation index: 1 - largest free / free. See "
        "docs/diagnose.md.</p>\n</body></html>\n",
        f);
  return ferror(f) ? GCMON_EIO : 0;
}
