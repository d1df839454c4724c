// Written by tests/differential/generate.py --seed 1156 --tbb.
// Kept by bench/fuzz-differential; it failed with: refused: root 'root-2': a pointer tagged with 1 one past the end of a 1-byte object built by a worker thread, never paired by the match of the two runs' heaps
// Every root's parts, digested unbaked and baked, must print the same lines.
#include "digest.h"

static std::int32_t build_1([[maybe_unused]] fuzz::Rng& r) {
  return std::int32_t(r.next());
}

static std::string build_2([[maybe_unused]] fuzz::Rng& r) {
  return r.str(0, 15);
}

static std::uint8_t build_3([[maybe_unused]] fuzz::Rng& r) {
  return std::uint8_t(r.next());
}

static double build_4([[maybe_unused]] fuzz::Rng& r) {
  return double(std::int64_t(r.below(2000001)) - 1000000) / 64.0;
}

static std::optional<double> build_5([[maybe_unused]] fuzz::Rng& r) {
  return std::optional<double>();
}

static std::tuple<std::shared_ptr<std::optional<double>>, std::shared_ptr<std::optional<double>>, std::weak_ptr<std::optional<double>>> build_6([[maybe_unused]] fuzz::Rng& r) {
  auto a = std::make_shared<std::optional<double>>(build_5(r));
  std::weak_ptr<std::optional<double>> w = std::make_shared<std::optional<double>>(build_5(r));
  return std::tuple<std::shared_ptr<std::optional<double>>, std::shared_ptr<std::optional<double>>, std::weak_ptr<std::optional<double>>>{a, nullptr, w};
}

static std::variant<std::int32_t, std::string, std::uint8_t, std::tuple<std::shared_ptr<std::optional<double>>, std::shared_ptr<std::optional<double>>, std::weak_ptr<std::optional<double>>>> build_7([[maybe_unused]] fuzz::Rng& r) {
  std::variant<std::int32_t, std::string, std::uint8_t, std::tuple<std::shared_ptr<std::optional<double>>, std::shared_ptr<std::optional<double>>, std::weak_ptr<std::optional<double>>>> v;
  v.emplace<3>(build_6(r));
  v.emplace<2>(build_3(r));
  return v;
}

static double build_8([[maybe_unused]] fuzz::Rng& r) {
  return double(std::int64_t(r.below(2000001)) - 1000000) / 64.0;
}

static std::optional<double> build_9([[maybe_unused]] fuzz::Rng& r) {
  std::optional<double> o;
  o.emplace(build_8(r));
  return o;
}

static std::vector<std::optional<double>> build_10([[maybe_unused]] fuzz::Rng& r) {
  std::vector<std::optional<double>> v;
  for (int i = 0; i < 30; ++i) v.push_back(build_9(r));
  if (v.size() > 2) v.erase(v.begin() + 1, v.begin() + v.size() / 2);
  return v;
}

static char build_11([[maybe_unused]] fuzz::Rng& r) {
  return char('a' + r.below(26));
}

static std::deque<char> build_12([[maybe_unused]] fuzz::Rng& r) {
  std::deque<char> c;
  for (int i = 0; i < 294; ++i) c.push_back(build_11(r));
  return c;
}

static std::tuple<std::variant<std::int32_t, std::string, std::uint8_t, std::tuple<std::shared_ptr<std::optional<double>>, std::shared_ptr<std::optional<double>>, std::weak_ptr<std::optional<double>>>>, std::vector<std::optional<double>>, std::deque<char>> build_13([[maybe_unused]] fuzz::Rng& r) {
  return std::tuple<std::variant<std::int32_t, std::string, std::uint8_t, std::tuple<std::shared_ptr<std::optional<double>>, std::shared_ptr<std::optional<double>>, std::weak_ptr<std::optional<double>>>>, std::vector<std::optional<double>>, std::deque<char>>{build_7(r), build_10(r), build_12(r)};
}

struct Root0 {
  std::tuple<std::variant<std::int32_t, std::string, std::uint8_t, std::tuple<std::shared_ptr<std::optional<double>>, std::shared_ptr<std::optional<double>>, std::weak_ptr<std::optional<double>>>>, std::vector<std::optional<double>>, std::deque<char>> p0;
};

static fuzz::Root<Root0> root0{"root-0", [] {
  ++fuzz::initializer_runs;
  fuzz::Rng r0{583152695834587179ull};
  return Root0{build_13(r0)};
}};

static std::uint8_t build_14([[maybe_unused]] fuzz::Rng& r) {
  return std::uint8_t(r.next());
}

static std::string build_15([[maybe_unused]] fuzz::Rng& r) {
  return r.str(16, 120);
}

static fuzz::CBuffer build_16([[maybe_unused]] fuzz::Rng& r) {
  return fuzz::CBuffer(r, 8);
}

static const std::vector<fuzz::CBuffer>& table_17() {
  static const std::vector<fuzz::CBuffer> t = [] {
    fuzz::Rng r{3868180191824368082ull};
    std::vector<fuzz::CBuffer> v;
    for (int i = 0; i < 28; ++i) v.push_back(build_16(r));
    return v;
  }();
  return t;
}

static fuzz::StaticRef<std::vector<fuzz::CBuffer>> build_18([[maybe_unused]] fuzz::Rng& r) {
  return fuzz::StaticRef<std::vector<fuzz::CBuffer>>{&table_17(), &table_17};
}

static const std::vector<fuzz::StaticRef<std::vector<fuzz::CBuffer>>>& table_19() {
  static const std::vector<fuzz::StaticRef<std::vector<fuzz::CBuffer>>> t = [] {
    fuzz::Rng r{1645832645102103007ull};
    std::vector<fuzz::StaticRef<std::vector<fuzz::CBuffer>>> v;
    for (int i = 0; i < 37; ++i) v.push_back(build_18(r));
    return v;
  }();
  return t;
}

static fuzz::StaticRef<std::vector<fuzz::StaticRef<std::vector<fuzz::CBuffer>>>> build_20([[maybe_unused]] fuzz::Rng& r) {
  return fuzz::StaticRef<std::vector<fuzz::StaticRef<std::vector<fuzz::CBuffer>>>>{&table_19(), &table_19};
}

static std::string build_22([[maybe_unused]] fuzz::Rng& r) {
  return r.str(16, 120);
}

static std::int64_t build_23([[maybe_unused]] fuzz::Rng& r) {
  return std::int64_t(r.next());
}

static char build_24([[maybe_unused]] fuzz::Rng& r) {
  return char('a' + r.below(26));
}

static std::string build_25([[maybe_unused]] fuzz::Rng& r) {
  return r.str(16, 120);
}

static std::vector<std::string> build_26([[maybe_unused]] fuzz::Rng& r) {
  std::vector<std::string> v;
  for (int i = 0; i < 143; ++i) v.push_back(build_25(r));
  v.shrink_to_fit();
  return v;
}

static std::variant<std::string, std::int64_t, char, std::vector<std::string>> build_27([[maybe_unused]] fuzz::Rng& r) {
  std::variant<std::string, std::int64_t, char, std::vector<std::string>> v;
  v.emplace<3>(build_26(r));
  v.emplace<1>(build_23(r));
  return v;
}

static fuzz::Graph build_28([[maybe_unused]] fuzz::Rng& r) {
  return fuzz::Graph(r, 47, 31);
}

static std::int64_t build_29([[maybe_unused]] fuzz::Rng& r) {
  return std::int64_t(r.next());
}

static std::any build_30([[maybe_unused]] fuzz::Rng& r) {
  return std::any();
}

static const std::vector<std::any>& table_31() {
  static const std::vector<std::any> t = [] {
    fuzz::Rng r{7494436775724224491ull};
    std::vector<std::any> v;
    for (int i = 0; i < 17; ++i) v.push_back(build_30(r));
    return v;
  }();
  return t;
}

static fuzz::StaticRef<std::vector<std::any>> build_32([[maybe_unused]] fuzz::Rng& r) {
  return fuzz::StaticRef<std::vector<std::any>>{&table_31(), &table_31};
}

struct Padded21 {
  std::variant<std::string, std::int64_t, char, std::vector<std::string>> m0{};
  fuzz::Graph m1{};
  std::int64_t m2{};
  fuzz::StaticRef<std::vector<std::any>> m3{};
  void dig(fuzz::Digest& d) const {
    fuzz::dig(d, m0);
    fuzz::dig(d, m1);
    fuzz::dig(d, m2);
    fuzz::dig(d, m3);
  }
};

static Padded21 build_33([[maybe_unused]] fuzz::Rng& r) {
  Padded21 s;
  s.m0 = build_27(r);
  s.m1 = build_28(r);
  s.m2 = build_29(r);
  s.m3 = build_32(r);
  return s;
}

static std::uint8_t build_34([[maybe_unused]] fuzz::Rng& r) {
  return std::uint8_t(r.next());
}

static std::string build_35([[maybe_unused]] fuzz::Rng& r) {
  return r.str(16, 120);
}

static std::uint8_t build_37([[maybe_unused]] fuzz::Rng& r) {
  return std::uint8_t(r.next());
}

static std::variant<std::string, std::uint8_t> build_38([[maybe_unused]] fuzz::Rng& r) {
  std::variant<std::string, std::uint8_t> v;
  v.emplace<0>(build_35(r));
  v.emplace<0>(build_35(r));
  return v;
}

static const std::vector<std::variant<std::string, std::uint8_t>>& table_39() {
  static const std::vector<std::variant<std::string, std::uint8_t>> t = [] {
    fuzz::Rng r{3892686166949150406ull};
    std::vector<std::variant<std::string, std::uint8_t>> v;
    for (int i = 0; i < 8; ++i) v.push_back(build_38(r));
    return v;
  }();
  return t;
}

static fuzz::StaticRef<std::vector<std::variant<std::string, std::uint8_t>>> build_40([[maybe_unused]] fuzz::Rng& r) {
  return fuzz::StaticRef<std::vector<std::variant<std::string, std::uint8_t>>>{&table_39(), &table_39};
}

static std::optional<fuzz::StaticRef<std::vector<std::variant<std::string, std::uint8_t>>>> build_41([[maybe_unused]] fuzz::Rng& r) {
  std::optional<fuzz::StaticRef<std::vector<std::variant<std::string, std::uint8_t>>>> o;
  o.emplace(build_40(r));
  o.reset();
  return o;
}

static std::variant<fuzz::StaticRef<std::vector<fuzz::StaticRef<std::vector<fuzz::CBuffer>>>>, Padded21, std::uint8_t, std::optional<fuzz::StaticRef<std::vector<std::variant<std::string, std::uint8_t>>>>> build_42([[maybe_unused]] fuzz::Rng& r) {
  std::variant<fuzz::StaticRef<std::vector<fuzz::StaticRef<std::vector<fuzz::CBuffer>>>>, Padded21, std::uint8_t, std::optional<fuzz::StaticRef<std::vector<std::variant<std::string, std::uint8_t>>>>> v;
  v.emplace<0>(build_20(r));
  v.emplace<3>(build_41(r));
  return v;
}

static double build_43([[maybe_unused]] fuzz::Rng& r) {
  return double(std::int64_t(r.below(2000001)) - 1000000) / 64.0;
}

static std::vector<double> build_44([[maybe_unused]] fuzz::Rng& r) {
  std::vector<fuzz::Rng> rngs;
  for (int i = 0; i < 2; ++i) rngs.push_back(fuzz::Rng{r.next()});
  std::vector<double> out(2);
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) threads.emplace_back([&, i] { out[i] = build_43(rngs[i]); });
  for (auto& t : threads) t.join();
  return out;
}

struct Root1 {
  std::uint8_t p0;
  std::string p1;
  std::variant<fuzz::StaticRef<std::vector<fuzz::StaticRef<std::vector<fuzz::CBuffer>>>>, Padded21, std::uint8_t, std::optional<fuzz::StaticRef<std::vector<std::variant<std::string, std::uint8_t>>>>> p2;
  std::vector<double> p3;
};

static fuzz::Root<Root1> root1{"root-1", [] {
  ++fuzz::initializer_runs;
  fuzz::Rng r0{692336335019574087ull};
  fuzz::Rng r1{6719144255704391224ull};
  fuzz::Rng r2{2521122251230350269ull};
  fuzz::Rng r3{2822950462833865005ull};
  return Root1{build_14(r0), build_15(r1), build_42(r2), build_44(r3)};
}};

static double build_45([[maybe_unused]] fuzz::Rng& r) {
  return double(std::int64_t(r.below(2000001)) - 1000000) / 64.0;
}

struct Tagged46 {
  std::uint8_t kind = 0;
  union { std::int64_t i; double f; char text[24]; } u{};
  void dig(fuzz::Digest& d) const {
    d.num("kind", kind);
    if (kind == 0) fuzz::dig(d, u.i);
    else if (kind == 1) fuzz::dig(d, u.f);
    else d.put("text", u.text);
  }
};

static Tagged46 build_47([[maybe_unused]] fuzz::Rng& r) {
  Tagged46 x;
  x.kind = std::uint8_t(r.below(3));
  if (x.kind == 0) x.u.i = std::int64_t(r.next());
  else if (x.kind == 1) x.u.f = double(r.below(1000)) / 8;
  else { std::string s = r.str(0, 23); std::memcpy(x.u.text, s.c_str(), s.size() + 1); }
  return x;
}

static char build_48([[maybe_unused]] fuzz::Rng& r) {
  return char('a' + r.below(26));
}

static fuzz::Tagged<char, false> build_49([[maybe_unused]] fuzz::Rng& r) {
  return fuzz::Tagged<char, false>(new char(build_48(r)), r.next());
}

static bool build_50([[maybe_unused]] fuzz::Rng& r) {
  return r.below(2) == 1;
}

static std::string build_51([[maybe_unused]] fuzz::Rng& r) {
  return r.str(0, 40);
}

struct Root2 {
  double p0;
  Tagged46 p1;
  fuzz::Tagged<char, false> p2;
  bool p3;
  std::string p4;
};

static fuzz::Root<Root2> root2{"root-2", [] {
  ++fuzz::initializer_runs;
  fuzz::Rng r0{5556229865789919124ull};
  fuzz::Rng r1{4988879180499445553ull};
  fuzz::Rng r2{8607767773921625616ull};
  fuzz::Rng r3{8904931062347060332ull};
  fuzz::Rng r4{9070096699886251836ull};
  return Root2{build_45(r0), build_47(r1), build_49(r2), build_50(r3), build_51(r4)};
}};

int main() {
  fuzz::Digest d(fuzz::full_digest());
  d.begin("r0.p0");
  fuzz::dig(d, root0->p0);
  d.end();
  d.begin("r1.p0");
  fuzz::dig(d, root1->p0);
  d.end();
  d.begin("r1.p1");
  fuzz::dig(d, root1->p1);
  d.end();
  d.begin("r1.p2");
  fuzz::dig(d, root1->p2);
  d.end();
  d.begin("r1.p3");
  fuzz::dig(d, root1->p3);
  d.end();
  d.begin("r2.p0");
  fuzz::dig(d, root2->p0);
  d.end();
  d.begin("r2.p1");
  fuzz::dig(d, root2->p1);
  d.end();
  d.begin("r2.p2");
  fuzz::dig(d, root2->p2);
  d.end();
  d.begin("r2.p3");
  fuzz::dig(d, root2->p3);
  d.end();
  d.begin("r2.p4");
  fuzz::dig(d, root2->p4);
  d.end();
  fuzz::print_status();
}
