#pragma once
// The curves that fill the frames between two keyframes (Parseq's step/linear/cubic/bezier).
namespace k3::sched::curves {

// Linear blend of a and b at u in [0, 1].
inline double lerp(double a, double b, double u) { return a + (b - a) * u; }

// Cubic Hermite between (x0, v0) and (x1, v1) with slopes m0, m1 in value per frame, at frame x.
double hermite(double x0, double v0, double m0, double x1, double v1, double m1, double x);

// The CSS / Parseq cubic Bezier ease through (0,0), (x1,y1), (x2,y2), (1,1): y for a given x
// in [0, 1]. x1 and x2 must lie in [0, 1] so that x is monotonic and y is a function of x.
double bezier_ease(double x1, double y1, double x2, double y2, double x);

}  // namespace k3::sched::curves
