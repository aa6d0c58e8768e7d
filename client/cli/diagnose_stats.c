/* Statistics for gcmon diagnose (diagnose.h): least squares with a
 * t-based confidence interval for the slope, Student's t quantiles, and
 * quantiles by selection (linear time, no sort of a million rows). */
#include "diagnose.h"

#include <math.h>

/* One-sided 99.9% quantiles of Student's t, df = 1..30. */
static const double t999[30] = {
    318.309, 22.327, 10.215, 7.173, 5.893, 5.208, 4.785, 4.501, 4.297, 4.144,
    4.025,   3.930,  3.852,  3.787, 3.733, 3.686, 3.646, 3.610, 3.579, 3.552,
    3.527,   3.505,  3.485,  3.467, 3.450, 3.435, 3.421, 3.408, 3.396, 3.385};

double dg_t999(size_t df) {
  if (df == 0)
    return INFINITY;
  if (df <= 30)
    return t999[df - 1];
  /* Cornish-Fisher expansion around the normal quantile 3.0902. */
  {
    double z = 3.090232, d = (double)df;
    double g1 = (z * z * z + z) / 4;
    double g2 = (5 * pow(z, 5) + 16 * z * z * z + 3 * z) / 96;
    return z + g1 / d + g2 / (d * d);
  }
}

bool dg_fit_line(const double *x, const double *y, size_t n, dg_fit *out) {
  double mx = 0, my = 0, sxx = 0, sxy = 0, sse = 0, t;

  out->n = n;
  if (n < 3)
    return false;
  for (size_t i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= (double)n;
  my /= (double)n;
  for (size_t i = 0; i < n; i++) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
  }
  if (sxx <= 0)
    return false;
  out->slope = sxy / sxx;
  out->intercept = my - out->slope * mx;
  for (size_t i = 0; i < n; i++) {
    double e = y[i] - out->intercept - out->slope * x[i];
    sse += e * e;
  }
  out->resid_sd = sqrt(sse / (double)(n - 2));
  out->se = out->resid_sd / sqrt(sxx);
  t = dg_t999(n - 2);
  out->lo = out->slope - t * out->se;
  out->hi = out->slope + t * out->se;
  return true;
}

static void swap(double *a, double *b) {
  double t = *a;
  *a = *b;
  *b = t;
}

/* The k-th smallest of v[0..n) (Hoare's selection, median-of-three). */
static double select_kth(double *v, size_t n, size_t k) {
  size_t lo = 0, hi = n - 1;

  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2, i = lo, j = hi;
    double pivot;
    if (v[mid] < v[lo])
      swap(&v[mid], &v[lo]);
    if (v[hi] < v[lo])
      swap(&v[hi], &v[lo]);
    if (v[hi] < v[mid])
      swap(&v[hi], &v[mid]);
    pivot = v[mid];
    while (i <= j) {
      while (v[i] < pivot)
        i++;
      while (v[j] > pivot)
        j--;
      if (i <= j) {
        swap(&v[i], &v[j]);
        i++;
        if (j == 0)
          break;
        j--;
      }
    }
    if (k <= j)
      hi = j;
    else if (k >= i)
      lo = i;
    else
      return v[k];
  }
  return v[k];
}

double dg_quantile(double *v, size_t n, double q) {
  size_t k;

  if (n == 0)
    return DG_NAN;
  if (q <= 0)
    q = 0;
  if (q >= 1)
    q = 1;
  k = (size_t)floor(q * (double)(n - 1) + 0.5);
  return select_kth(v, n, k);
}
