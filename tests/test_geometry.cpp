#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "host/error.hpp"
#include "host/geometry.hpp"
#include "kernels/voxel_index.hpp"

using namespace calo;

TEST(Geometry, Dataset2FromXmlMatchesBuiltIn) {
  const Geometry xml = Geometry::dataset("2");
  const Geometry code = Geometry::dataset2();
  ASSERT_EQ(xml.n_layers(), 45);
  EXPECT_EQ(xml.n_voxels(), 6480);
  EXPECT_EQ(code.n_voxels(), 6480);
  EXPECT_TRUE(xml.is_regular());
  EXPECT_EQ(xml.n_alpha(), 16);
  EXPECT_EQ(xml.n_r(), 9);
  EXPECT_EQ(xml.particle_pid(), 11);
  for (int l = 0; l < 45; ++l) {
    ASSERT_EQ(xml.layer(l).r_edges.size(), code.layer(l).r_edges.size());
    for (size_t i = 0; i < code.layer(l).r_edges.size(); ++i) {
      EXPECT_DOUBLE_EQ(xml.layer(l).r_edges[i], code.layer(l).r_edges[i]);
    }
  }
}

TEST(Geometry, VoxelIndexIsLayerTimes144PlusAlphaTimes9PlusR) {
  const Geometry g = Geometry::dataset2();
  for (int l : {0, 1, 22, 44})
    for (int a : {0, 7, 15})
      for (int r : {0, 4, 8}) {
        EXPECT_EQ(g.voxel_index(l, a, r), l * 144 + a * 9 + r);
        EXPECT_EQ(voxel_index_regular(l, a, r, 16, 9), l * 144 + a * 9 + r);
        const VoxelCoord c = voxel_coord_regular(l * 144 + a * 9 + r, 16, 9);
        EXPECT_EQ(c.layer, l);
        EXPECT_EQ(c.alpha, a);
        EXPECT_EQ(c.r, r);
      }
  EXPECT_THROW(g.voxel_index(0, 16, 0), Error);
  EXPECT_THROW(g.voxel_index(0, 0, 9), Error);
}

TEST(Geometry, VoxelCentresFollowCaloChallengeConvention) {
  const Geometry g = Geometry::dataset2();
  const VoxelCentre c = g.centre(0, 0, 0);
  EXPECT_NEAR(c.r, 2.325, 1e-12);
  EXPECT_NEAR(c.alpha, -std::numbers::pi + std::numbers::pi / 16, 1e-12);
  EXPECT_NEAR(c.x, c.r * std::cos(c.alpha), 1e-12);
  EXPECT_NEAR(g.centre(3, 8, 8).r, 2.325 + 8 * 4.65, 1e-9);
}

TEST(Geometry, OtherDatasetsParse) {
  const Geometry pions = Geometry::dataset("1-pions");
  EXPECT_EQ(pions.n_voxels(), 533);
  EXPECT_FALSE(pions.is_regular());
  const Geometry photons = Geometry::dataset("1-photons");
  EXPECT_EQ(photons.n_voxels(), 368);
  const Geometry ds3 = Geometry::dataset("3");
  EXPECT_EQ(ds3.n_voxels(), 40500);
  EXPECT_EQ(ds3.voxel_index(1, 0, 0), 900);
}

TEST(Geometry, BadXmlIsAnInputError) {
  EXPECT_THROW(Geometry::from_xml_string("<Foo/>", "bad.xml"), InputError);
  EXPECT_THROW(Geometry::from_xml_string("<Bins><Bin pid=\"11\"><Layer id=\"1\" r_edges=\"0,1\" n_bin_alpha=\"2\"/></Bin></Bins>", "x"),
               InputError);
  EXPECT_THROW(Geometry::from_xml_string("<Bins><Bin pid=\"11\"><Layer id=\"0\" r_edges=\"0,2,1\" n_bin_alpha=\"2\"/></Bin></Bins>", "x"),
               InputError);
  EXPECT_THROW(Geometry::from_xml_file("/nonexistent/binning.xml"), InputError);
  EXPECT_THROW(Geometry::dataset("7"), InputError);
}
