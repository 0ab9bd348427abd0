/**
 * An image index on a SolrCloud collection ({@link org.vlalign.solr.SolrCloudImageIndex}): images sharded and
 * replicated over Solr nodes, searched with block-join kNN queries on Lucene HNSW vectors and re-scored exactly.
 *
 * @since 0.3.0
 */
package org.vlalign.solr;
