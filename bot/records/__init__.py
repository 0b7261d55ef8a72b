"""日管控、周排查、月调度: the enterprise's own food-safety records (总局令第60号第十至十五条)."""
