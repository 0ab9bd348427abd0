package org.vlalign.spark;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The columns of the Parquet table that {@link SparkEmbedJob} writes and {@link SparkLoadJob} reads: one row
 * per image file.
 *
 * <p>{@code vectors} holds {@code count × width} floats, row-major, L2-normalised (BLIP-2: one row per query
 * token; CLIP: one). A file that could not be read or decoded has a non-null {@code error} and null vectors;
 * its space columns still name the model that tried. Immutable constants; thread-safe.
 *
 * @since 0.3.0
 */
public final class EmbeddingTable {
    /** The image id: the file's path relative to the input folder it was found under. */
    public static final String ID = "id";
    /** The file's full path (URI) as the job read it. */
    public static final String PATH = "path";
    /** {@link org.vlalign.EmbeddingSpace#family()} of the model. */
    public static final String FAMILY = "family";
    /** {@link org.vlalign.EmbeddingSpace#fingerprint()} of the model. */
    public static final String FINGERPRINT = "fingerprint";
    /** {@link org.vlalign.EmbeddingSpace#preprocessing()} of the model. */
    public static final String PREPROCESSING = "preprocessing";
    /** The number of vectors. */
    public static final String COUNT = "count";
    /** The width of each vector ({@link org.vlalign.EmbeddingSpace#dimension()}). */
    public static final String WIDTH = "width";
    /** The vectors, {@code count × width} floats, row-major. */
    public static final String VECTORS = "vectors";
    /** Metadata: {@code source}, {@code size}, {@code mtime}, as the local folder indexer records them. */
    public static final String METADATA = "metadata";
    /** Why the image has no vectors, or null. */
    public static final String ERROR = "error";

    /** The table's schema. */
    public static final StructType SCHEMA = new StructType(new StructField[] {
        DataTypes.createStructField(ID, DataTypes.StringType, false),
        DataTypes.createStructField(PATH, DataTypes.StringType, false),
        DataTypes.createStructField(FAMILY, DataTypes.StringType, false),
        DataTypes.createStructField(FINGERPRINT, DataTypes.StringType, false),
        DataTypes.createStructField(PREPROCESSING, DataTypes.StringType, false),
        DataTypes.createStructField(COUNT, DataTypes.IntegerType, false),
        DataTypes.createStructField(WIDTH, DataTypes.IntegerType, false),
        DataTypes.createStructField(VECTORS, DataTypes.createArrayType(DataTypes.FloatType, false), true),
        DataTypes.createStructField(
                METADATA, DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType, false), false),
        DataTypes.createStructField(ERROR, DataTypes.StringType, true),
    });

    private EmbeddingTable() {}
}
