// Fuzz target: the CaloChallenge binning XML parser (Geometry::from_xml_string) and the geometry
// it builds (voxel offsets, centres).
#include "host/geometry.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const calo::Geometry g =
        calo::Geometry::from_xml_string(std::string(calo::fuzz::as_text(data, size)), "fuzz.xml");
    (void)g.is_regular();
    for (int l = 0; l < g.n_layers(); ++l) {
      const auto& layer = g.layer(l);
      if (layer.n_r() > 0) {
        (void)g.voxel_index(l, layer.n_alpha - 1, layer.n_r() - 1);
        (void)g.centre(l, layer.n_alpha - 1, layer.n_r() - 1);
      }
    }
  } catch (const calo::Error&) {
  }
  return 0;
}
