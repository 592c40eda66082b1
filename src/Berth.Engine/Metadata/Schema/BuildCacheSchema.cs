namespace Berth.Engine.Metadata.Schema;

/// <summary>Tables of the build cache feature (none yet).</summary>
static class BuildCacheSchema
{
    public static readonly SchemaComponent Component = new("build_cache", [], []);
}
