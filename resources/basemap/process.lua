-- Nazar's basemap schema for tilemaker 2.x (Debian's package): what a control-room officer
-- needs to recognise the city, nothing else. Layers (see config.json): water, waterway,
-- parks, rail, roads, buildings, places. Names: name, name_en, name_bn (Bengali) where the
-- data has them. Read by resources/map/nazar-basemap.js (the style).

node_keys = { "place", "amenity", "railway", "tourism", "historic", "leisure" }

local MAJOR = { motorway=1, motorway_link=1, trunk=1, trunk_link=1, primary=1, primary_link=1 }
local MEDIUM = { secondary=1, secondary_link=1, tertiary=1, tertiary_link=1 }
local MINOR = { residential=1, unclassified=1, living_street=1, service=1, road=1,
                pedestrian=1 }
local PATH = { footway=1, path=1, cycleway=1, steps=1, track=1 }
local RAIL = { rail=1, subway=1, light_rail=1, tram=1, narrow_gauge=1 }
local PARK_LEISURE = { park=1, garden=1, pitch=1, golf_course=1, stadium=1, nature_reserve=1 }
local PARK_LANDUSE = { grass=1, recreation_ground=1, forest=1, meadow=1, cemetery=1,
                       village_green=1 }
local PLACES = { city=10, town=11, suburb=12, quarter=13, neighbourhood=14, locality=15 }
local LANDMARKS = { police=13, station=12, attraction=13, museum=13, memorial=14,
                    monument=14, hospital=15 }

local function names(obj)
  local name = obj:Find("name")
  local en = obj:Find("name:en")
  local bn = obj:Find("name:bn")
  if name ~= "" then obj:Attribute("name", name) end
  if en ~= "" then obj:Attribute("name_en", en) end
  if bn ~= "" then obj:Attribute("name_bn", bn) end
  return name ~= "" or en ~= "" or bn ~= ""
end

function node_function(node)
  local place = node:Find("place")
  if PLACES[place] then
    node:Layer("places", false)
    node:Attribute("kind", place)
    node:MinZoom(PLACES[place])
    names(node)
    return
  end
  local kind = ""
  if node:Find("amenity") == "police" then kind = "police"
  elseif node:Find("railway") == "station" then kind = "station"
  elseif node:Find("tourism") == "attraction" or node:Find("tourism") == "museum" then
    kind = node:Find("tourism")
  elseif node:Find("historic") == "memorial" or node:Find("historic") == "monument" then
    kind = node:Find("historic")
  end
  if kind ~= "" and node:Find("name") ~= "" then
    node:Layer("places", false)
    node:Attribute("kind", kind)
    node:MinZoom(LANDMARKS[kind] or 14)
    names(node)
  end
end

function way_function(way)
  local highway = way:Find("highway")
  local waterway = way:Find("waterway")
  local natural = way:Find("natural")
  local landuse = way:Find("landuse")
  local leisure = way:Find("leisure")
  local railway = way:Find("railway")
  local closed = way:IsClosed()

  if natural == "water" or waterway == "riverbank" or landuse == "reservoir"
      or landuse == "basin" then
    if closed or way:Find("type") == "multipolygon" then
      way:Layer("water", true)
      names(way)
      -- a lake's or tank's name at its centre (a river is named along its line)
      if way:Find("name") ~= "" and way:Find("water") ~= "river" and waterway == "" then
        way:LayerAsCentroid("places")
        way:Attribute("kind", "water")
        way:MinZoom(13)
        names(way)
      end
    end
    return
  end
  if waterway == "river" or waterway == "canal" or waterway == "stream" then
    way:Layer("waterway", false)
    way:Attribute("kind", waterway)
    if waterway == "stream" then way:MinZoom(13) end
    names(way)
    return
  end
  if (PARK_LEISURE[leisure] or PARK_LANDUSE[landuse]) and closed then
    way:Layer("parks", true)
    names(way)
    -- a park's name is also a place label, at its centre
    if way:Find("name") ~= "" then
      way:LayerAsCentroid("places")
      way:Attribute("kind", "park")
      way:MinZoom(13)
      names(way)
    end
    return
  end
  if RAIL[railway] then
    way:Layer("rail", false)
    way:Attribute("kind", railway)
    if way:Find("bridge") ~= "" and way:Find("bridge") ~= "no" then
      way:AttributeNumeric("bridge", 1)
    end
    return
  end
  if highway ~= "" then
    local kind = nil
    local minzoom = 14
    if MAJOR[highway] then kind = "major"; minzoom = 8
    elseif MEDIUM[highway] then kind = "medium"; minzoom = 11
    elseif MINOR[highway] then kind = "minor"; minzoom = 13
    elseif PATH[highway] then kind = "path"; minzoom = 15
    end
    if kind then
      way:Layer("roads", false)
      way:Attribute("kind", kind)
      way:Attribute("highway", highway)
      way:MinZoom(minzoom)
      if way:Find("bridge") ~= "" and way:Find("bridge") ~= "no" then
        way:AttributeNumeric("bridge", 1)
      end
      local ref = way:Find("ref")
      if ref ~= "" then way:Attribute("ref", ref) end
      names(way)
    end
    return
  end
  if way:Find("building") ~= "" and closed then
    way:Layer("buildings", true)
    way:MinZoom(14)
    return
  end
  -- a named landmark drawn as an area (a station building, a memorial's grounds)
  local kind = ""
  if way:Find("amenity") == "police" then kind = "police"
  elseif railway == "station" then kind = "station"
  elseif way:Find("tourism") == "attraction" or way:Find("tourism") == "museum" then
    kind = way:Find("tourism")
  end
  if kind ~= "" and way:Find("name") ~= "" and closed then
    way:LayerAsCentroid("places")
    way:Attribute("kind", kind)
    way:MinZoom(LANDMARKS[kind] or 14)
    names(way)
  end
end
