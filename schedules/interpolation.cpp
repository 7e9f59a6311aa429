// Interpolation curves between keyframes.
#include "schedules/interpolation.h"

#include <cmath>

namespace k3::sched::curves {

double hermite(double x0, double v0, double m0, double x1, double v1, double m1, double x) {
  const double h = x1 - x0;
  const double u = (x - x0) / h;
  const double u2 = u * u;
  const double u3 = u2 * u;
  const double h00 = 2 * u3 - 3 * u2 + 1;
  const double h10 = u3 - 2 * u2 + u;
  const double h01 = -2 * u3 + 3 * u2;
  const double h11 = u3 - u2;
  return h00 * v0 + h10 * h * m0 + h01 * v1 + h11 * h * m1;
}

namespace {
// One coordinate of the Bezier with end points 0 and 1 and control values p1, p2.
double bezier_coordinate(double p1, double p2, double s) {
  const double r = 1 - s;
  return 3 * r * r * s * p1 + 3 * r * s * s * p2 + s * s * s;
}
}  // namespace

double bezier_ease(double x1, double y1, double x2, double y2, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  // x(s) is monotonic for x1, x2 in [0, 1]: bisection converges without the failure modes of
  // Newton's method on flat stretches. 60 halvings reach double precision.
  double lo = 0, hi = 1;
  for (int i = 0; i < 60; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (bezier_coordinate(x1, x2, mid) < x) lo = mid;
    else hi = mid;
  }
  return bezier_coordinate(y1, y2, 0.5 * (lo + hi));
}

}  // namespace k3::sched::curves
