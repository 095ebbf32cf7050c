"""Private document collections: a collection whose documents only named staff groups may open."""

from wagtail.models import BaseViewRestriction, Collection, CollectionViewRestriction

# Download documents of campaign pages (forms.downloads); visitors get them by signed link only.
DOWNLOADS_COLLECTION = "Campaign downloads"


def private_collection(name: str) -> Collection:
    """The collection ``name`` under the root, created when missing, behind a group view restriction.

    A collection of that name without any view restriction gets one limited to groups (none
    yet: only superusers pass until ``core.roles.sync_roles`` adds the staff groups); a
    restriction someone set is left as it is.
    """
    collection = Collection.objects.filter(depth=2, name=name).first()
    if collection is None:
        collection = Collection.get_first_root_node().add_child(name=name)
    if not collection.view_restrictions.exists():
        CollectionViewRestriction.objects.create(
            collection=collection, restriction_type=BaseViewRestriction.GROUPS
        )
    return collection
