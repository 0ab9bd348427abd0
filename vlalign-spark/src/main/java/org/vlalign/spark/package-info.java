/**
 * Bulk embedding on Apache Spark ({@link org.vlalign.spark.SparkEmbedJob}: image files to a Parquet table, one model
 * per executor JVM, resumable) and loading that table into any image index ({@link org.vlalign.spark.SparkLoadJob}),
 * from Java or through {@code spark-submit} ({@link org.vlalign.spark.SparkMain}).
 *
 * @since 0.3.0
 */
package org.vlalign.spark;
