namespace Berth.Engine.Metadata.Schema;

/// <summary>Every schema component of the metadata database, in the order they are migrated.</summary>
/// <remarks>Each component lives in its own file (ImagesSchema.cs, ContainersSchema.cs, ...); add tables there.</remarks>
public static class MetadataSchema
{
    public static readonly IReadOnlyList<SchemaComponent> Components =
    [
        ImagesSchema.Component,
        ContainersSchema.Component,
        VolumesSchema.Component,
        BuildCacheSchema.Component,
        HealthSchema.Component,
    ];
}
